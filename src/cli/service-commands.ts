/** `fedres serve` and `fedres demo`: what `npm start` and `npm run demo` start, by the same functions. */
import { runDemo } from '../demo/run-demo.js';
import { runService } from '../server.js';
import type { Command } from './command.js';
import { EXIT } from './exit-status.js';
import { positionals } from './options.js';

export const serveCommand: Command = {
  name: 'serve',
  synopsis: 'serve [--port <port>] [--host <address>] [settings…]',
  summary:
    'the resolver service, as npm start runs it, until SIGTERM or SIGINT (SIGHUP reloads the trust anchors)',
  options: {},
  details: ['  every setting of the service as a flag, for example --port 8081 --log-level warn'],
  keepsRunning: true,
  async run(parsed) {
    positionals(parsed, []);
    await runService(parsed.env);
    return EXIT.ok;
  },
};

export const demoCommand: Command = {
  name: 'demo',
  synopsis: 'demo [--port <port>]',
  summary:
    'a sample federation on loopback and the resolver in front of it, as npm run demo runs it',
  options: {},
  details: ['  DEMO_ONESHOT=true prints the examples and stops instead of serving until Ctrl-C'],
  keepsRunning: true,
  async run(parsed) {
    positionals(parsed, []);
    await runDemo(parsed.env);
    return EXIT.ok;
  },
};
