/**
 * Trust marks of a resolved subject (§7.3, §8.3.2, §8.4): each mark in the subject's configuration
 * is verified against the chosen Trust Anchor, with the issuer's keys from the issuer's own chain
 * to that anchor, and, when configured, the issuer's Trust Mark Status endpoint. The report keeps
 * the verified marks for responses and every rejected one with its reason for diagnostics.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { FEDERATION_ENTITY, MEDIA_TYPES } from '../federation/constants.js';
import { FederationError, type FailureDetail } from '../federation/errors.js';
import { getOwn } from '../federation/json.js';
import type { Clock } from '../federation/ports.js';
import {
  InvalidTrustMarkError,
  decodeTrustMark,
  readTrustMarkEntry,
  verifyTrustMark,
  verifyTrustMarkStatusResponse,
  type TrustMarkOptions,
  type VerifiedTrustMark,
} from '../federation/trust-marks.js';
import type { DecodedEntityStatement, ResolvedTrustChain } from '../federation/types.js';
import type { HttpFetcher } from './http/index.js';

/** When the issuer's status endpoint is asked (§7.3 and §8.4; digest §6.4 items 11, 12). */
export const STATUS_CHECK_MODES = ['never', 'when-no-exp', 'always'] as const;

/** One of {@link STATUS_CHECK_MODES}. */
export type StatusCheckMode = (typeof STATUS_CHECK_MODES)[number];

/** A mark left out, and why. */
export interface RejectedTrustMark {
  readonly trust_mark_type?: string;
  readonly iss?: string;
  readonly failure: FailureDetail;
}

/** The outcome for every mark of one subject under one Trust Anchor. */
export interface TrustMarkReport {
  readonly verified: readonly VerifiedTrustMark[];
  readonly rejected: readonly RejectedTrustMark[];
  /** The earliest `exp` of the verified marks (lowers the response's exp, §8.3.2). */
  readonly exp?: number;
  /** When this report must be computed again (seconds). */
  readonly validUntil: number;
}

/** Settings of {@link TrustMarkService}. */
export interface TrustMarkServiceOptions {
  readonly verification: Omit<TrustMarkOptions, 'now'>;
  readonly statusCheck: StatusCheckMode;
  /** How long a status answer (or a failed check) is reused, seconds. */
  readonly statusCacheSeconds: number;
  /** Most status answers kept. */
  readonly statusCacheMaxEntries: number;
  /** Most marks of one entity evaluated; the others are rejected with a reason. */
  readonly maxTrustMarks: number;
}

/** Resolves the chain of a mark issuer to the given Trust Anchor (the caller's cache applies). */
export type IssuerResolver = (issuer: string, trustAnchor: string) => Promise<ResolvedTrustChain>;

type StatusAnswer = { readonly status: string } | { readonly error: FederationError };

/** Verifies the trust marks of resolved subjects. */
export class TrustMarkService {
  readonly #fetcher: HttpFetcher;
  readonly #clock: Clock;
  readonly #options: TrustMarkServiceOptions;
  readonly #statuses: LRUCache<string, StatusAnswer>;

  constructor(fetcher: HttpFetcher, clock: Clock, options: TrustMarkServiceOptions) {
    this.#fetcher = fetcher;
    this.#clock = clock;
    this.#options = options;
    this.#statuses = new LRUCache({ max: options.statusCacheMaxEntries });
  }

  /**
   * Issuers of the marks in a subject's configuration (other than the subject), within the limit
   * of marks evaluated: their chains are needed for verification and can be resolved early.
   */
  issuersOf(configuration: DecodedEntityStatement): string[] {
    const entries = (configuration.claims.trust_marks ?? []).slice(0, this.#options.maxTrustMarks);
    const issuers = entries.map((entry) => this.#peek(entry).iss);
    return [...new Set(issuers)].filter(
      (issuer) => issuer !== '' && issuer !== configuration.claims.sub,
    );
  }

  /** Verifies every mark in the configuration of `chain.subject` under `chain.trustAnchor`. */
  async evaluate(
    chain: ResolvedTrustChain,
    resolveIssuer: IssuerResolver,
    mode: { readonly freshStatus?: boolean } = {},
  ): Promise<TrustMarkReport> {
    const now = this.#clock.now();
    const all = chain.statements[0]?.claims.trust_marks ?? [];
    // §18.1-style amplification bound: each mark may cost an issuer resolution.
    const entries = all.slice(0, this.#options.maxTrustMarks);
    const anchor = chain.statements[chain.statements.length - 1];
    const verified: VerifiedTrustMark[] = [];
    const rejected: RejectedTrustMark[] = [];
    let validUntil = Infinity;
    let statusChecked = false;
    const results = await Promise.all(
      entries.map(async (entry) => {
        const hint = this.#peek(entry);
        try {
          if (anchor === undefined || anchor.kind !== 'entity_configuration') {
            throw new InvalidTrustMarkError(
              'the chain does not include the Trust Anchor configuration',
              {
                reason: 'trust_mark_type_not_recognized',
                section: '§8.3.2',
              },
            );
          }
          const issuerChain = await this.#issuerChain(chain, hint.iss, resolveIssuer);
          validUntil = Math.min(validUntil, issuerChain.exp);
          const options = { ...this.#options.verification, now };
          const mark = await verifyTrustMark(
            {
              entry,
              subject: chain.subject,
              anchor: anchor.claims,
              issuerKeys: issuerChain.statements[0]?.claims.jwks ?? { keys: [] },
            },
            options,
          );
          const fresh = mode.freshStatus === true;
          if (await this.#checkStatus(mark, issuerChain, options, fresh)) statusChecked = true;
          return { mark };
        } catch (error) {
          return { rejected: { ...hint, failure: detailOf(error) } };
        }
      }),
    );
    for (const result of results) {
      if ('mark' in result) verified.push(result.mark);
      else rejected.push(result.rejected);
    }
    for (const entry of all.slice(this.#options.maxTrustMarks)) {
      const failure = new InvalidTrustMarkError(
        `only the first ${this.#options.maxTrustMarks} trust marks are evaluated`,
        {
          reason: 'trust_mark_limit_exceeded',
          section: '§18.1',
        },
      ).toDetail();
      rejected.push({ ...this.#peek(entry), failure });
    }
    const exps = verified.flatMap((mark) => (mark.exp === undefined ? [] : [mark.exp]));
    const exp = exps.length === 0 ? undefined : Math.min(...exps);
    if (exp !== undefined) validUntil = Math.min(validUntil, exp);
    // Status answers and rejections can change upstream: such reports are re-evaluated after the
    // status cache time. A report of marks that were all verified offline (or of no marks) holds
    // until a mark or an issuer's chain expires.
    if (statusChecked || rejected.length > 0)
      validUntil = Math.min(validUntil, now + this.#options.statusCacheSeconds);
    return { verified, rejected, ...(exp === undefined ? {} : { exp }), validUntil };
  }

  /** Type and issuer of an entry as far as they can be read, for reporting a rejection. */
  #peek(entry: unknown): { trust_mark_type?: string; iss: string } {
    const legacy = this.#options.verification.legacyClaimNames === true;
    try {
      const { trust_mark_type, trust_mark } = readTrustMarkEntry(entry, legacy);
      try {
        return {
          trust_mark_type,
          iss: decodeTrustMark(trust_mark, { ...this.#options.verification, now: 0 }).iss,
        };
      } catch {
        return { trust_mark_type, iss: '' };
      }
    } catch {
      return { iss: '' };
    }
  }

  /** §7.3 step 0: trust in the issuer comes from its own chain to the same Trust Anchor. */
  async #issuerChain(
    chain: ResolvedTrustChain,
    issuer: string,
    resolveIssuer: IssuerResolver,
  ): Promise<ResolvedTrustChain> {
    // A self-signed mark (§7.1 item 4) is verified with the subject's own chain.
    if (issuer === '' || issuer === chain.subject) return chain;
    try {
      return await resolveIssuer(issuer, chain.trustAnchor);
    } catch (error) {
      const reason =
        error instanceof FederationError
          ? `${error.reason}: ${error.message}`
          : 'it did not resolve';
      throw new InvalidTrustMarkError(
        `the issuer ${issuer} has no valid trust chain to ${chain.trustAnchor} (${reason})`,
        {
          reason: 'issuer_chain_invalid',
          section: '§7.3',
          cause: error,
        },
      );
    }
  }

  /** §8.4: asks the issuer's status endpoint when the configured mode says so; true if it did. */
  async #checkStatus(
    mark: VerifiedTrustMark,
    issuerChain: ResolvedTrustChain,
    options: TrustMarkOptions,
    fresh: boolean,
  ): Promise<boolean> {
    const mode = this.#options.statusCheck;
    if (mode === 'never' || (mode === 'when-no-exp' && mark.exp !== undefined)) return false;
    const key = createHash('sha256').update(mark.trust_mark).digest('base64url');
    // A refresh ahead of expiry asks again: the cached answer is as old as the report it renews.
    let answer = fresh ? undefined : this.#statuses.get(key);
    if (answer === undefined) {
      answer = await this.#askStatus(mark, issuerChain, options);
      const ttl = Math.min(
        this.#options.statusCacheSeconds,
        mark.exp === undefined ? Infinity : mark.exp - this.#clock.now(),
      );
      if (ttl > 0) this.#statuses.set(key, answer, { ttl: Math.floor(ttl * 1000) });
    }
    if ('error' in answer) throw answer.error;
    if (answer.status !== 'active') {
      throw new InvalidTrustMarkError(`the issuer reports the trust mark as ${answer.status}`, {
        reason: 'trust_mark_status_not_active',
        section: '§8.4',
      });
    }
    return true;
  }

  async #askStatus(
    mark: VerifiedTrustMark,
    issuerChain: ResolvedTrustChain,
    options: TrustMarkOptions,
  ): Promise<StatusAnswer> {
    const endpoint = getOwn(
      issuerChain.metadata[FEDERATION_ENTITY] ?? {},
      'federation_trust_mark_status_endpoint',
    );
    if (typeof endpoint !== 'string') {
      return {
        error: new InvalidTrustMarkError(
          `${mark.iss} publishes no federation_trust_mark_status_endpoint to check the mark`,
          {
            reason: 'trust_mark_status_unavailable',
            section: '§8.4',
          },
        ),
      };
    }
    try {
      const response = await this.#fetcher.postForm(
        endpoint,
        { trust_mark: mark.trust_mark },
        {
          accept: MEDIA_TYPES.trustMarkStatusResponse,
          expectedContentType: MEDIA_TYPES.trustMarkStatusResponse,
        },
      );
      const status = await verifyTrustMarkStatusResponse(
        response.body.trim(),
        {
          issuer: mark.iss,
          trustMark: mark.trust_mark,
          issuerKeys: issuerChain.statements[0]?.claims.jwks ?? { keys: [] },
        },
        options,
      );
      return { status };
    } catch (error) {
      // §8.4.2: an issuer answers 404 for a mark it does not know; that mark is not active.
      if (error instanceof FederationError && error.location.status === 404)
        return { status: 'invalid' };
      return {
        error: new InvalidTrustMarkError(
          `the status of the trust mark could not be checked (${detailOf(error).reason})`,
          {
            reason: 'trust_mark_status_unavailable',
            section: '§8.4',
            ...(error instanceof FederationError && error.location.url !== undefined
              ? { url: error.location.url }
              : {}),
            cause: error,
          },
        ),
      };
    }
  }
}

function detailOf(error: unknown): FailureDetail {
  if (error instanceof FederationError) return error.toDetail();
  return {
    code: 'server_error',
    reason: 'trust_mark_status_unavailable',
    message: 'the trust mark could not be verified',
  };
}
