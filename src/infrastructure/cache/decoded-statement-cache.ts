/**
 * Bounded memory of decoded Entity Statements by their compact JWS (the core's
 * {@link DecodedStatementCache} port). The statements of superiors that every resolution in a
 * federation meets (the anchor's configuration, its statements about the intermediates, their
 * configurations) are then decoded once; a subject's own statements pass through and are the
 * first to go.
 */
import { LRUCache } from 'lru-cache';
import type { DecodedStatementCache } from '../../federation/ports.js';
import type { DecodedEntityStatement } from '../../federation/types.js';

/**
 * Bytes a decoded statement is charged: its JWS (held by the statement cache too) and its
 * decoded header and claims, as objects several times the size of their JSON.
 */
function decodedSize(jwt: string): number {
  return 4 * jwt.length + 256;
}

/** An LRU of decoded statements, bounded by entries and by bytes as charged. */
export class MemoryDecodedStatementCache implements DecodedStatementCache {
  readonly #entries: LRUCache<string, DecodedEntityStatement>;
  readonly #onLookup: ((hit: boolean) => void) | undefined;

  constructor(maxEntries: number, maxBytes: number, onLookup?: (hit: boolean) => void) {
    this.#onLookup = onLookup;
    this.#entries = new LRUCache<string, DecodedEntityStatement>({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (_statement, jwt) => decodedSize(jwt),
    });
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, as charged. */
  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  get(jwt: string): DecodedEntityStatement | undefined {
    const statement = this.#entries.get(jwt);
    this.#onLookup?.(statement !== undefined);
    return statement;
  }

  set(jwt: string, statement: DecodedEntityStatement): void {
    // One larger than the whole budget is not kept (lru-cache refuses it) and evicts nothing.
    if (decodedSize(jwt) <= this.#entries.maxSize) this.#entries.set(jwt, statement);
  }
}
