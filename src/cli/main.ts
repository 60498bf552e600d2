#!/usr/bin/env node
/**
 * `fedres`, the command line of federation-resolver: a front door beside the HTTP API, on the
 * same engine (docs/cli.md). Runs one command line and exits with its status.
 */
import type { Io } from './command.js';
import { run } from './program.js';

const io: Io = {
  stdin: process.stdin,
  stdout: process.stdout,
  out: (line = '') => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const { status, keepRunning } = await run(process.argv.slice(2), process.env, io);
// Every command but serve and demo ends here, whatever timers or sockets are still open.
if (!keepRunning) process.exit(status);
