/**
 * The engine a command runs on: the service's own, from the same configuration loader and the
 * same composition root, so what `fedres` says is what the resolver does.
 */
import { buildEngine } from '../composition-root.js';
import { loadConfig, type Config } from '../config/config.js';
import type { ResolverEngine } from '../engine/index.js';
import { isEntityIdentifier } from '../federation/entity-id.js';
import type { ResolutionQuery } from '../federation/types.js';
import { listOption, UsageError, type OptionValues } from './options.js';

/** The environment of a command, with the settings given as flags laid over it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Loads the configuration from `env` (`overrides` over it) and runs `work` on an engine built
 * from it, closed afterwards. Logs are silent unless LOG_LEVEL asks for them, and go to stderr.
 */
export async function withEngine<T>(
  env: Env,
  work: (engine: ResolverEngine, config: Config) => Promise<T>,
  overrides: Readonly<Record<string, string>> = {},
): Promise<T> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env, ...overrides });
  const standalone = await buildEngine(config, { logToStderr: true });
  try {
    return await work(standalone.engine, config);
  } finally {
    await standalone.close();
  }
}

/** `text` as an Entity Identifier, or a usage error naming what is wrong with it. */
export function entityArgument(text: string, config: Config, what = 'entity'): string {
  const http = text.startsWith('http://') && !config.allowInsecureHttp;
  if (isEntityIdentifier(text, { allowHttp: config.allowInsecureHttp })) return text;
  throw new UsageError(
    http
      ? `${text} is an http identifier, accepted only with --allow-insecure-http (ALLOW_INSECURE_HTTP=true)`
      : `the ${what} ${JSON.stringify(text)} is not an Entity Identifier (an https URL without query or fragment)`,
  );
}

/** The `--trust-anchor` values, or every configured anchor when none is given. */
export function trustAnchorsOf(
  values: OptionValues,
  engine: ResolverEngine,
  config: Config,
): string[] {
  const given = listOption(values, 'trust-anchor').map((id) =>
    entityArgument(id, config, 'trust anchor'),
  );
  if (given.length > 0) return given;
  const configured = engine.trustAnchors().map((anchor) => anchor.entity_id);
  if (configured.length === 0) {
    throw new UsageError(
      `no Trust Anchor is configured in ${config.trustAnchorsDir}: name the folder with --trust-anchors-dir, or add one with fedres trust-anchors add`,
    );
  }
  return configured;
}

/** The query of `subject` under `trustAnchors`, with the `--entity-type` values. */
export function queryOf(
  subject: string,
  trustAnchors: readonly string[],
  values: OptionValues,
): ResolutionQuery {
  const entityTypes = listOption(values, 'entity-type');
  return { subject, trustAnchors, ...(entityTypes.length === 0 ? {} : { entityTypes }) };
}

/**
 * The query of a resolving command: the entity argument under the `--trust-anchor` values (or
 * every configured anchor), with the `--entity-type` values.
 */
export function queryOfArguments(
  entity: string,
  values: OptionValues,
  engine: ResolverEngine,
  config: Config,
): ResolutionQuery {
  return queryOf(entityArgument(entity, config), trustAnchorsOf(values, engine, config), values);
}
