/**
 * The service under attack: one or more hostile upstreams on loopback and the resolver in a child
 * process trusting their anchors. `close()` stops the child first, then the upstreams; a start
 * that fails half-way stops what was started.
 */
import {
  startHostileUpstream,
  type HostileUpstream,
  type HostileUpstreamOptions,
} from '../../support/hostile-upstream.js';
import { startResolverProcess, type ResolverProcess } from '../../support/resolver-process.js';
import { get, resolveQuery, type Answer, type GetOptions } from './client.js';

/** Hostile upstreams and the resolver in front of them. */
export interface Stack {
  /** The first upstream. */
  readonly upstream: HostileUpstream;
  readonly upstreams: readonly HostileUpstream[];
  readonly resolver: ResolverProcess;
  /** Port of the resolver on 127.0.0.1. */
  readonly port: number;
  /**
   * GET `path` (e.g. `/resolve`) for `sub` under the anchor of `upstream` (default the first);
   * `options.from` chooses the client address.
   */
  ask(
    path: string,
    sub: string,
    options?: GetOptions & { readonly upstream?: HostileUpstream },
  ): Promise<Answer>;
  close(): Promise<void>;
}

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Settings of the resolver over resolver-process.ts's loopback defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** One entry per upstream; default one upstream with default options. */
  readonly upstreams?: readonly HostileUpstreamOptions[];
}

/** Starts the upstreams and a resolver trusting every upstream's anchor. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const upstreams: HostileUpstream[] = [];
  try {
    for (const upstreamOptions of options.upstreams ?? [{}]) {
      upstreams.push(await startHostileUpstream(upstreamOptions));
    }
    const resolver = await startResolverProcess(
      upstreams.map((upstream) => upstream.trustAnchor),
      options.env ?? {},
    );
    const first = upstreams[0];
    if (first === undefined) throw new Error('startStack: no upstream');
    let closed: Promise<void> | undefined;
    return {
      upstream: first,
      upstreams,
      resolver,
      port: Number(new URL(resolver.url).port),
      ask(path, sub, askOptions = {}) {
        const anchor = (askOptions.upstream ?? first).trustAnchor.entity_id;
        return get(`${resolver.url}${path}?${resolveQuery(sub, anchor)}`, askOptions);
      },
      close() {
        closed ??= (async () => {
          await resolver.close();
          await Promise.all(upstreams.map((upstream) => upstream.close()));
        })();
        return closed;
      },
    };
  } catch (error) {
    await Promise.all(upstreams.map((upstream) => upstream.close()));
    throw error;
  }
}
