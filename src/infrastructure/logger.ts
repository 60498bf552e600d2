/** The root logger (pino). Built once in the composition root; components take children. */
import { pino, type Logger } from 'pino';
/** A pino level name (the configuration validates it). */
type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type { Logger };

/** Creates the root logger writing JSON lines to stdout (file descriptor 1) or `fd`. */
export function createLogger(level: LogLevel, fd: 1 | 2 = 1): Logger {
  const options = {
    level,
    base: { service: 'federation-resolver' },
    // Never log key material or statement bodies, even by accident at debug level.
    redact: {
      paths: ['*.d', '*.p', '*.q', '*.dp', '*.dq', '*.qi', '*.k', 'jwt', '*.jwt'],
      censor: '[redacted]',
    },
  };
  return fd === 1 ? pino(options) : pino(options, pino.destination(fd));
}
