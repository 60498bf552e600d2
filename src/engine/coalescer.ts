/**
 * The one in-flight coalescer: concurrent callers asking for the same key share one piece of
 * work, which is forgotten as soon as it settles (caching what it produced is the caller's job).
 */
export class Coalescer<V> {
  readonly #pending = new Map<string, Promise<V>>();

  /** The shared result of `work` for `key`, started only when none is in flight. */
  run(key: string, work: () => Promise<V>): Promise<V> {
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = work().finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** True while work for `key` is in flight. */
  has(key: string): boolean {
    return this.#pending.has(key);
  }

  /** Pieces of work in flight. */
  get size(): number {
    return this.#pending.size;
  }
}
