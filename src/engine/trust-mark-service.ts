/**
 * Trust marks of a resolved subject (§7.3, §8.3.2, §8.4): each mark in the subject's configuration
 * is verified against the chosen Trust Anchor, with the issuer's keys from the issuer's own chain
 * to that anchor, and, when configured, the issuer's Trust Mark Status endpoint. The report keeps
 * the verified marks for responses and every rejected one with its reason for diagnostics.
 */
import { createHash } from 'node:crypto';
import { FEDERATION_ENTITY } from '../federation/constants.js';
import {
  TemporarilyUnavailableError,
  errorFromDetail,
  readFailureDetail,
  toFederationError,
  type FailureDetail,
  type FederationError,
} from '../federation/errors.js';
import { getOwn, parseJsonObject } from '../federation/json.js';
import {
  InvalidTrustMarkError,
  decodeTrustMark,
  readTrustMarkEntry,
  verifyTrustMark,
  verifyTrustMarkStatusResponse,
  type TrustMarkOptions,
  type VerifiedTrustMark,
} from '../federation/trust-marks.js';
import type { Clock } from '../federation/ports.js';
import type { DecodedEntityStatement, ResolvedTrustChain } from '../federation/types.js';
import { Coalescer } from './coalescer.js';
import type { CacheTier, EngineMetrics, SharedStore, TrustMarkStatusSource } from './ports.js';

/**
 * When the issuer's status endpoint is asked (§7.3 says marks without `exp` should be checked by
 * some means, §8.4 offers the status endpoint; docs/decisions.md).
 */
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
  /** Most marks of one entity evaluated; the others are rejected with a reason. */
  readonly maxTrustMarks: number;
}

/** Dependencies of {@link TrustMarkService}. */
export interface TrustMarkServiceDependencies {
  readonly statusSource: TrustMarkStatusSource;
  /** Status answers by mark; failures are kept as data. */
  readonly statusTier: CacheTier<StatusAnswer>;
  readonly clock: Clock;
  readonly options: TrustMarkServiceOptions;
  readonly metrics?: EngineMetrics;
  /**
   * The tier shared by every replica: status answers are stored as the issuer's signed response
   * and verified again with the issuer's keys when read; an answer that is no signed `active`
   * can only leave a mark out, never admit one.
   */
  readonly shared?: SharedStore;
}

/** Resolves the chain of a mark issuer to the given Trust Anchor (the caller's cache applies). */
export type IssuerResolver = (issuer: string, trustAnchor: string) => Promise<ResolvedTrustChain>;

/**
 * A status answer as cached: the status value (with the signed response it was read from, when
 * there was one), or why there is none.
 */
export type StatusAnswer =
  { readonly status: string; readonly jwt?: string } | { readonly failure: FailureDetail };

/** Verifies the trust marks of resolved subjects. */
export class TrustMarkService {
  readonly #deps: TrustMarkServiceDependencies;
  readonly #statusRequests = new Coalescer<StatusAnswer>();

  constructor(deps: TrustMarkServiceDependencies) {
    this.#deps = deps;
  }

  /**
   * Issuers of the marks in a subject's configuration (other than the subject), within the limit
   * of marks evaluated: their chains are needed for verification and can be resolved early.
   */
  issuersOf(configuration: DecodedEntityStatement): string[] {
    const entries = (configuration.claims.trust_marks ?? []).slice(
      0,
      this.#deps.options.maxTrustMarks,
    );
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
    const { clock, options } = this.#deps;
    const now = clock.now();
    const all = chain.statements[0]?.claims.trust_marks ?? [];
    // §18.1: each mark may cost an issuer resolution, so their number is bounded.
    const entries = all.slice(0, options.maxTrustMarks);
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
              { reason: 'trust_mark_type_not_recognized', section: '§8.3.2' },
            );
          }
          const issuerChain = await this.#issuerChain(chain, hint.iss, resolveIssuer);
          validUntil = Math.min(validUntil, issuerChain.exp);
          const verification = { ...options.verification, now };
          const mark = await verifyTrustMark(
            {
              entry,
              subject: chain.subject,
              anchor: anchor.claims,
              issuerKeys: issuerChain.statements[0]?.claims.jwks ?? { keys: [] },
            },
            verification,
          );
          const fresh = mode.freshStatus === true;
          if (await this.#checkStatus(mark, issuerChain, verification, fresh)) statusChecked = true;
          return { mark };
        } catch (error) {
          return { rejected: { ...hint, failure: toFederationError(error).toDetail() } };
        }
      }),
    );
    for (const result of results) {
      if ('mark' in result) verified.push(result.mark);
      else rejected.push(result.rejected);
    }
    for (const entry of all.slice(options.maxTrustMarks)) {
      const failure = new InvalidTrustMarkError(
        `only the first ${options.maxTrustMarks} trust marks are evaluated`,
        { reason: 'trust_mark_limit_exceeded', section: '§18.1' },
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
      validUntil = Math.min(validUntil, now + options.statusCacheSeconds);
    return { verified, rejected, ...(exp === undefined ? {} : { exp }), validUntil };
  }

  /** Type and issuer of an entry as far as they can be read, for reporting a rejection. */
  #peek(entry: unknown): { trust_mark_type?: string; iss: string } {
    const verification = this.#deps.options.verification;
    try {
      const { trust_mark_type, trust_mark } = readTrustMarkEntry(
        entry,
        verification.legacyClaimNames === true,
      );
      try {
        return {
          trust_mark_type,
          iss: decodeTrustMark(trust_mark, { ...verification, now: 0 }).iss,
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
      const cause = toFederationError(error);
      throw new InvalidTrustMarkError(
        `the issuer ${issuer} has no valid trust chain to ${chain.trustAnchor} (${cause.reason}: ${cause.message})`,
        { reason: 'issuer_chain_invalid', section: '§7.3', cause },
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
    const { clock, metrics, statusTier } = this.#deps;
    const { statusCheck, statusCacheSeconds } = this.#deps.options;
    if (statusCheck === 'never' || (statusCheck === 'when-no-exp' && mark.exp !== undefined)) {
      return false;
    }
    const key = createHash('sha256').update(mark.trust_mark).digest('base64url');
    // A refresh ahead of expiry asks again: the cached answer is as old as the report it renews.
    let answer = fresh ? undefined : await statusTier.get(key);
    metrics?.cacheLookup('trust_mark_status', answer !== undefined);
    const ttl = Math.min(
      statusCacheSeconds,
      mark.exp === undefined ? Infinity : mark.exp - clock.now(),
    );
    const keep = async (value: StatusAnswer) => {
      if (ttl > 0) {
        await statusTier.set(key, value, {
          ttlMs: Math.floor(ttl * 1000),
          sizeBytes: key.length + JSON.stringify(value).length,
        });
      }
    };
    if (answer === undefined && !fresh) {
      answer = await this.#sharedStatus(key, mark, issuerChain, options);
      if (answer !== undefined) await keep(answer);
    }
    if (answer === undefined) {
      answer = await this.#statusRequests.run(key, async () => {
        const asked = await this.#askStatus(mark, issuerChain, options);
        await keep(asked);
        if (ttl > 0) {
          await this.#deps.shared?.set(`t:${key}`, JSON.stringify(asked), ttl * 1000, [mark.iss]);
        }
        return asked;
      });
    }
    if ('failure' in answer) {
      throw errorFromDetail(answer.failure);
    }
    if (answer.status !== 'active') {
      throw new InvalidTrustMarkError(`the issuer reports the trust mark as ${answer.status}`, {
        reason: 'trust_mark_status_not_active',
        section: '§8.4',
      });
    }
    return true;
  }

  /**
   * A status answer another replica stored: a signed response is verified again with the
   * issuer's keys; an answer without one is used only when it keeps the mark out.
   */
  async #sharedStatus(
    key: string,
    mark: VerifiedTrustMark,
    issuerChain: ResolvedTrustChain,
    options: TrustMarkOptions,
  ): Promise<StatusAnswer | undefined> {
    const raw = await this.#deps.shared?.get(`t:${key}`);
    this.#deps.metrics?.cacheLookup('shared_trust_mark_status', raw !== undefined);
    if (raw === undefined) return undefined;
    const parsed = parseJsonObject(raw) ?? {};
    const jwt = getOwn(parsed, 'jwt');
    const failure = readFailureDetail(getOwn(parsed, 'failure'));
    const status = getOwn(parsed, 'status');
    if (typeof jwt === 'string') {
      try {
        return { status: await verifyStatus(jwt, mark, issuerChain, options), jwt };
      } catch {
        // Not the issuer's signed answer about this mark: dropped below.
      }
    } else if (failure !== undefined) {
      return { failure };
    } else if (typeof status === 'string' && status !== 'active') {
      return { status };
    }
    this.#deps.metrics?.sharedRejected('trust_mark_status');
    await this.#deps.shared?.delete([`t:${key}`]);
    return undefined;
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
      return failed(
        new InvalidTrustMarkError(
          `${mark.iss} publishes no federation_trust_mark_status_endpoint to check the mark`,
          { reason: 'trust_mark_status_unavailable', section: '§8.4' },
        ),
      );
    }
    let jwt: string;
    try {
      jwt = await this.#deps.statusSource.fetchStatus(endpoint, mark.trust_mark, {});
    } catch (error) {
      const cause = toFederationError(error);
      // §8.4.2: an issuer answers 404 for a mark it does not know; that mark is not active.
      if (cause.location.status === 404) return { status: 'invalid' };
      const message = `the status of the trust mark could not be checked (${cause.reason}: ${cause.message})`;
      const where = { reason: 'trust_mark_status_unavailable', section: '§8.4', cause } as const;
      const url = cause.location.url === undefined ? {} : { url: cause.location.url };
      return failed(
        cause.code === 'temporarily_unavailable'
          ? new TemporarilyUnavailableError(message, { ...where, ...url })
          : new InvalidTrustMarkError(message, { ...where, ...url }),
      );
    }
    try {
      return { status: await verifyStatus(jwt, mark, issuerChain, options), jwt };
    } catch (error) {
      const cause = toFederationError(error);
      return failed(
        new InvalidTrustMarkError(
          `the status response is invalid: ${cause.message} (${cause.reason})`,
          { reason: 'trust_mark_status_invalid', section: '§8.4.2', cause },
        ),
      );
    }
  }
}

/** §8.4.2: the status in a response signed by the mark's issuer about this very mark. */
function verifyStatus(
  jwt: string,
  mark: VerifiedTrustMark,
  issuerChain: ResolvedTrustChain,
  options: TrustMarkOptions,
): Promise<string> {
  return verifyTrustMarkStatusResponse(
    jwt,
    {
      issuer: mark.iss,
      trustMark: mark.trust_mark,
      issuerKeys: issuerChain.statements[0]?.claims.jwks ?? { keys: [] },
    },
    options,
  );
}

function failed(error: FederationError): StatusAnswer {
  return { failure: error.toDetail() };
}
