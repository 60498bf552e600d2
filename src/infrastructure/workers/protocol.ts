/**
 * The messages between the service and its resolution workers (worker_threads). Both sides are
 * this program: the messages are typed, not validated. What crosses is data only: the decoded
 * statements and traces as they are, errors as their FailureDetail.
 */
import type { FailureDetail } from '../../federation/errors.js';
import type { ResolutionOutcome } from '../../federation/resolver.js';
import type {
  DecodedEntityStatement,
  ResolutionQuery,
  TrustAnchor,
} from '../../federation/types.js';
import type { WorkerMetrics } from '../metrics.js';

/** The part of a ResolutionContext that crosses to a worker (the signal does not). */
export interface RunContext {
  readonly trustAnchors: readonly TrustAnchor[];
  readonly now: number;
  readonly exhaustive?: boolean;
  readonly refresh?: boolean;
}

/** A ResolutionOutcome as data: its error as a FailureDetail. */
export type OutcomeData =
  | Extract<ResolutionOutcome, { ok: true }>
  | (Omit<Extract<ResolutionOutcome, { ok: false }>, 'error'> & { readonly error: FailureDetail });

/** From the service to a worker. */
export type ToWorker =
  | {
      readonly type: 'resolve';
      readonly id: number;
      readonly query: ResolutionQuery;
      readonly context: RunContext;
      /** The resolution's deadline, as the service's RESOLUTION_TIMEOUT_MS. */
      readonly timeoutMs: number;
    }
  | { readonly type: 'cancel'; readonly id: number }
  | {
      readonly type: 'hold';
      readonly statements: ReadonlyArray<{ readonly url: string; readonly jwt: string }>;
    }
  | { readonly type: 'purge'; readonly id: number; readonly entity: string | undefined }
  | { readonly type: 'metrics'; readonly id: number };

/** From a worker to the service. */
export type FromWorker =
  | {
      readonly type: 'subject';
      readonly id: number;
      readonly configuration: DecodedEntityStatement | undefined;
    }
  | { readonly type: 'outcome'; readonly id: number; readonly outcome: OutcomeData }
  | { readonly type: 'purged'; readonly id: number; readonly count: number }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: WorkerMetrics };
