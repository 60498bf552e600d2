/** What a command of `fedres` is: its synopsis, its flags, its help and how it runs. */
import type { ExitStatus } from './exit-status.js';
import type { OptionSpecs, ParsedArguments } from './options.js';

/** Where a command reads and writes. */
export interface Io {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  /** Writes one line to stdout. */
  out(line?: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
}

/** One command (`resolve`) or subcommand (`keys generate`). */
export interface Command {
  /** Its words: `resolve`, `keys generate`. */
  readonly name: string;
  /** What follows `fedres <name>` in its usage line. */
  readonly synopsis: string;
  /** One sentence for `fedres --help`. */
  readonly summary: string;
  readonly options: OptionSpecs;
  /** Lines of `fedres <name> --help` after the usage line: the flags and what they do. */
  readonly details: readonly string[];
  run(parsed: ParsedArguments, io: Io): Promise<ExitStatus>;
  /** The command started a service that runs until a signal (serve, demo). */
  readonly keepsRunning?: boolean;
}

/** `--trust-anchor <id>`, repeatable: the anchors a command resolves or checks under. */
export const TRUST_ANCHOR_OPTION = { type: 'string', multiple: true } as const;

/** Flags shared by the resolving commands. */
export const RESOLUTION_OPTIONS: OptionSpecs = {
  'trust-anchor': TRUST_ANCHOR_OPTION,
  'entity-type': { type: 'string', multiple: true },
  json: { type: 'boolean' },
};

/** Help lines of {@link RESOLUTION_OPTIONS}. */
export const RESOLUTION_DETAILS = [
  '  --trust-anchor <id>   a Trust Anchor to resolve under (repeatable; default: every configured one)',
  '  --entity-type <type>  only the metadata of this Entity Type (repeatable)',
  '  --json                the JSON document instead of text',
];
