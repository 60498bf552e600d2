/** What every route handler needs: the engine, a clock for caching headers, and the parsing mode. */
import type { ResolverEngine } from '../../engine/resolver-engine.js';
import type { Clock } from '../../federation/ports.js';

/** Dependencies of the route handlers. */
export interface RouteDependencies {
  readonly engine: ResolverEngine;
  readonly clock: Clock;
  /** Accept `http` Entity Identifiers in parameters (tests and demos only). */
  readonly allowInsecureHttp: boolean;
}

/** Seconds until `exp`, between 0 and `max`: a cache never keeps an answer past its exp. */
export function maxAge(exp: number, now: number, max: number): number {
  return Math.max(0, Math.min(max, Math.floor(exp - now)));
}
