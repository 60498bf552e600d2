/**
 * Arguments of `fedres`: each command's flags with `node:util` `parseArgs`, and every setting of
 * the service as a flag of its own (`--allow-insecure-http` is `ALLOW_INSECURE_HTTP=true`,
 * `--fetch-timeout-ms 500` is `FETCH_TIMEOUT_MS=500`), which overrides the environment.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SETTINGS } from '../config/config.js';

/** Options of one command, as `parseArgs` takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Values of parsed options. */
export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** A command line that cannot be run as written: exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type SettingName = keyof typeof SETTINGS;

/** `ALLOW_INSECURE_HTTP` → `allow-insecure-http`. */
export function settingFlag(name: SettingName): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/** Settings whose value is true or false are switches; the others take a value. */
function isSwitch(name: SettingName): boolean {
  const value = SETTINGS[name][0];
  return value === 'true' || value === 'false';
}

const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** Every setting as a flag. */
const SETTING_OPTIONS: OptionSpecs = Object.fromEntries(
  SETTING_NAMES.map((name) => [settingFlag(name), { type: isSwitch(name) ? 'boolean' : 'string' }]),
);

/** Flags every command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
};

/** The parsed command line of one command. */
export interface ParsedArguments {
  readonly positionals: readonly string[];
  readonly values: OptionValues;
  /** The environment with the settings given as flags laid over it. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Parses `args` for a command with `options`; a bad flag or value is a {@link UsageError}. */
export function parseCommand(
  args: readonly string[],
  options: OptionSpecs,
  env: Readonly<Record<string, string | undefined>>,
): ParsedArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...SETTING_OPTIONS, ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const settings: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value: unknown = parsed.values[settingFlag(name)];
    if (typeof value === 'string') settings[name] = value;
    else if (value === true) settings[name] = 'true';
  }
  return {
    positionals: parsed.positionals,
    values: parsed.values as OptionValues,
    env: { ...env, ...settings },
  };
}

/** A string option's value, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string option's values. */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** A switch's value. */
export function switchOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** Exactly `count` positional arguments, named in the usage error. */
export function positionals(parsed: ParsedArguments, names: readonly string[]): string[] {
  if (parsed.positionals.length !== names.length) {
    const wanted = names.map((name) => `<${name}>`).join(' ');
    throw new UsageError(
      names.length === 0
        ? `this command takes no arguments, got ${parsed.positionals.join(' ')}`
        : `expected ${wanted}, got ${parsed.positionals.length === 0 ? 'nothing' : parsed.positionals.join(' ')}`,
    );
  }
  return [...parsed.positionals];
}

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A `--horizon` (default 7d): what it says and how many seconds it is. */
export interface Horizon {
  readonly text: string;
  readonly seconds: number;
}

/** The `--horizon` of a command that reports what expires within it (check, crawl). */
export function horizonOption(values: OptionValues): Horizon {
  const text = stringOption(values, 'horizon') ?? '7d';
  return { text, seconds: parseDuration('horizon', text) };
}

/** `7d`, `12h`, `30m`, `90s` or a number of seconds, in seconds. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`--${flag} must be a duration such as 7d, 12h, 30m or 90s, got ${text}`);
  }
  return Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1);
}
