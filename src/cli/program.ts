/**
 * The commands of `fedres` and how one command line is run: the command found by its words, its
 * flags parsed, its help, its errors as one sentence and its exit status (docs/cli.md).
 */
import { readFileSync } from 'node:fs';
import { checkCommand } from './check-command.js';
import type { Command, Io } from './command.js';
import { crawlCommand } from './crawl-command.js';
import { EXIT, errorSentence, exitStatusOf, type ExitStatus } from './exit-status.js';
import { keysGenerateCommand } from './keys-command.js';
import { parseCommand, settingFlag, UsageError } from './options.js';
import { explainCommand, resolveCommand } from './resolve-commands.js';
import { demoCommand, serveCommand } from './service-commands.js';
import {
  trustAnchorsAddCommand,
  trustAnchorsListCommand,
  trustAnchorsVerifyCommand,
} from './trust-anchors-command.js';

/** Every command, in the order of `fedres --help`. */
export const COMMANDS: readonly Command[] = [
  resolveCommand,
  explainCommand,
  checkCommand,
  keysGenerateCommand,
  trustAnchorsAddCommand,
  trustAnchorsListCommand,
  trustAnchorsVerifyCommand,
  crawlCommand,
  serveCommand,
  demoCommand,
];

const EXIT_STATUSES = [
  'Exit status:',
  '  0  ok',
  '  1  the entity does not resolve, or a check failed',
  '  2  usage error (unknown command or flag, bad value, unusable setting or file)',
  '  3  a transient failure (temporarily_unavailable): a retry may succeed',
];

const SETTINGS_HELP = [
  'Settings: every setting of the service is read from the environment as by npm start, and',
  `each is also a flag that overrides it: --${settingFlag('ALLOW_INSECURE_HTTP')} (ALLOW_INSECURE_HTTP=true),`,
  `--${settingFlag('TRUST_ANCHORS_DIR')} <dir> (TRUST_ANCHORS_DIR, default ./trust-anchors), --${settingFlag('FETCH_TIMEOUT_MS')} <ms>, …`,
  'Errors are one sentence on stderr; --debug adds the stack trace.',
];

function generalHelp(): string[] {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: fedres <command> [arguments] [flags]',
    '',
    'OpenID Federation trust chains, resolved by the engine of federation-resolver.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'fedres <command> --help shows the flags of one command; fedres --version the version.',
    '',
    ...SETTINGS_HELP,
    '',
    ...EXIT_STATUSES,
  ];
}

function commandHelp(command: Command): string[] {
  return [
    `Usage: fedres ${command.synopsis}`,
    '',
    command.summary.charAt(0).toUpperCase() + command.summary.slice(1) + '.',
    '',
    ...command.details,
    '  --debug               the stack trace of an error',
    '',
    ...SETTINGS_HELP,
    '',
    ...EXIT_STATUSES,
  ];
}

/** The command named by the first one or two words of `args`, and the words after it. */
function findCommand(args: readonly string[]): { command: Command; rest: string[] } {
  for (const words of [2, 1]) {
    const name = args.slice(0, words).join(' ');
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (command !== undefined) return { command, rest: args.slice(words) };
  }
  const group = COMMANDS.filter((command) => command.name.startsWith(`${args[0]} `));
  if (group.length > 0) {
    throw new UsageError(
      `${args[0]} needs one of: ${group.map((command) => command.name.split(' ')[1]).join(', ')}`,
    );
  }
  throw new UsageError(`unknown command ${JSON.stringify(args[0])}; fedres --help lists them`);
}

/** `fedres --version`: the package's version and the runtime's. */
function versionLine(): string {
  // dist/src/cli/program.js, three folders below the package's root, built or installed.
  const manifest = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { name?: string; version?: string };
  return `fedres ${manifest.version ?? 'unknown'} (${manifest.name ?? 'federation-resolver'}, Node.js ${process.version})`;
}

/**
 * Runs `fedres` with `args` (without the node and script paths); resolves with the status, and
 * whether the process must keep running (a service started by serve or demo).
 */
export async function run(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: Io,
): Promise<{ status: ExitStatus; keepRunning: boolean }> {
  const debug = args.includes('--debug');
  try {
    const first = args[0];
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      for (const line of generalHelp()) io.out(line);
      return { status: first === undefined ? EXIT.usage : EXIT.ok, keepRunning: false };
    }
    if (first === '--version' || first === '-V') {
      io.out(versionLine());
      return { status: EXIT.ok, keepRunning: false };
    }
    const { command, rest } = findCommand(args);
    const parsed = parseCommand(rest, command.options, env);
    if (parsed.values['help'] === true) {
      for (const line of commandHelp(command)) io.out(line);
      return { status: EXIT.ok, keepRunning: false };
    }
    const status = await command.run(parsed, io);
    return { status, keepRunning: status === EXIT.ok && command.keepsRunning === true };
  } catch (error) {
    io.err(`fedres: ${errorSentence(error)}`);
    if (debug && error instanceof Error && error.stack !== undefined) io.err(error.stack);
    return { status: exitStatusOf(error), keepRunning: false };
  }
}
