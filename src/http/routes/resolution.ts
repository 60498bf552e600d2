/** Shared step of the resolving endpoints: resolve a query or throw its error. */
import type { Clock } from '../../federation/ports.js';
import type { ResolvedTrustChain } from '../../federation/types.js';
import type { ResolutionService } from '../../infrastructure/resolution-service.js';
import type { ResponseSigner } from '../../infrastructure/response-signing.js';
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

/** The resolved chain for `params`, or the resolution's error thrown. */
export async function resolveChain(
  deps: RouteDependencies,
  params: ResolveParams,
): Promise<ResolvedTrustChain> {
  const served = await deps.resolutions.resolve({
    subject: params.subject,
    trustAnchors: params.trustAnchors,
  });
  if (!served.outcome.ok) throw served.outcome.error;
  return served.outcome.chain;
}
