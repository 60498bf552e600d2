/**
 * What the testbed's server was asked. Tests use it to prove caching and coalescing ("a second
 * resolution makes no upstream call", docs/architecture.md). Counters are exact however many requests
 * arrive; the list of entries keeps only the most recent ones, so benchmarks cannot exhaust
 * memory.
 */

/**
 * What a request was for: an Entity Configuration (§9), a fetch (§8.1), a list (§8.2), a Trust
 * Mark Status request (§8.4), a request answered by an application mounted under the entity
 * (`Testbed.mount`), or `unknown` for paths that name no endpoint.
 */
export type TestbedRequestKind =
  'configuration' | 'fetch' | 'list' | 'status' | 'application' | 'unknown';

/** One answered request. */
export interface RequestLogEntry {
  /** HTTP method as received. */
  readonly method: string;
  /** Path and query as received. */
  readonly path: string;
  readonly kind: TestbedRequestKind;
  /** Entity name from the first path segment (possibly not an entity, for `unknown`). */
  readonly entity: string;
  /**
   * The `sub` parameter of a fetch request, as received, or the `sub` claim of the trust mark a
   * status request asks about (an Entity Identifier).
   */
  readonly subject?: string;
  /** HTTP status answered. */
  readonly status: number;
  /** Wall-clock time the request arrived, in milliseconds since the epoch. */
  readonly at: number;
}

/** Which requests to count. Every given member must match. */
export interface RequestFilter {
  /** Entity name (the issuer, for fetch and list). */
  readonly entity?: string;
  readonly kind?: TestbedRequestKind;
  /** The fetched subject (or trust mark subject), by entity name or by Entity Identifier. */
  readonly subject?: string;
}

/** The request log of a testbed. */
export interface RequestLog {
  /** Number of requests answered since start or the last reset. */
  total(): number;
  /** Number of requests answered that match `filter` (all when absent). */
  count(filter?: RequestFilter): number;
  /** The most recent requests, oldest first. */
  entries(): ReadonlyArray<RequestLogEntry>;
  /** Forgets every request. */
  reset(): void;
}

/** Default number of entries kept by {@link MemoryRequestLog}. */
export const DEFAULT_MAX_LOG_ENTRIES = 10_000;

interface Counter {
  readonly entity: string;
  readonly kind: TestbedRequestKind;
  readonly subject: string | undefined;
  count: number;
}

/** In-memory {@link RequestLog} with exact counters and a bounded list of entries. */
export class MemoryRequestLog implements RequestLog {
  readonly #maxEntries: number;
  readonly #subjectId: (nameOrId: string) => string;
  readonly #counters = new Map<string, Counter>();
  #entries: RequestLogEntry[] = [];
  #total = 0;

  /**
   * @param subjectId maps a subject filter given as an entity name to its Entity Identifier.
   * @param maxEntries most entries kept for {@link entries}.
   */
  constructor(subjectId: (nameOrId: string) => string, maxEntries = DEFAULT_MAX_LOG_ENTRIES) {
    this.#subjectId = subjectId;
    this.#maxEntries = maxEntries;
  }

  /** Records one answered request. */
  record(entry: RequestLogEntry): void {
    this.#total++;
    const key = `${entry.entity}\u0000${entry.kind}\u0000${entry.subject ?? ''}`;
    const counter = this.#counters.get(key);
    if (counter === undefined) {
      this.#counters.set(key, {
        entity: entry.entity,
        kind: entry.kind,
        subject: entry.subject,
        count: 1,
      });
    } else {
      counter.count++;
    }
    this.#entries.push(entry);
    // Trim in batches so that recording stays O(1) amortised.
    if (this.#entries.length >= 2 * this.#maxEntries) {
      this.#entries = this.#entries.slice(-this.#maxEntries);
    }
  }

  total(): number {
    return this.#total;
  }

  count(filter: RequestFilter = {}): number {
    const subject = filter.subject === undefined ? undefined : this.#subjectId(filter.subject);
    let sum = 0;
    for (const counter of this.#counters.values()) {
      if (filter.entity !== undefined && counter.entity !== filter.entity) continue;
      if (filter.kind !== undefined && counter.kind !== filter.kind) continue;
      if (subject !== undefined && counter.subject !== subject) continue;
      sum += counter.count;
    }
    return sum;
  }

  entries(): ReadonlyArray<RequestLogEntry> {
    return this.#entries.slice(-this.#maxEntries);
  }

  reset(): void {
    this.#counters.clear();
    this.#entries = [];
    this.#total = 0;
  }
}
