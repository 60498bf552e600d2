/** Shared step of the resolving endpoints: resolve a query or throw its error. */
import type { Clock } from '../../federation/ports.js';
import type { ResolutionService } from '../../infrastructure/resolution-service.js';
import type { ResolvedSubject, ResponseSigner } from '../../infrastructure/response-signing.js';
import type { TrustAnchorStore } from '../../infrastructure/trust-anchor-store.js';
import type { ResolveParams } from '../params.js';

/** What the route handlers need. */
export interface RouteDependencies {
  readonly resolutions: ResolutionService;
  readonly responses: ResponseSigner;
  readonly anchors: TrustAnchorStore;
  readonly clock: Clock;
  readonly allowInsecureHttp: boolean;
}

/** A resolved subject as served, with how it was obtained. */
export interface ServedSubject extends ResolvedSubject {
  readonly cached: boolean;
  readonly resolvedAt: number;
}

/** The resolved subject for `params` (chain and trust marks), or the resolution's error thrown. */
export async function resolveSubject(
  deps: RouteDependencies,
  params: ResolveParams,
): Promise<ServedSubject> {
  const served = await deps.resolutions.resolve({
    subject: params.subject,
    trustAnchors: params.trustAnchors,
  });
  if (!served.outcome.ok) throw served.outcome.error;
  return {
    chain: served.outcome.chain,
    cached: served.cached,
    resolvedAt: served.resolvedAt,
    ...(served.trustMarks === undefined ? {} : { trustMarks: served.trustMarks }),
  };
}
