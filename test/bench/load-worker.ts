/**
 * Open-loop load from several simulated clients, for the sustained-load driver (load.ts), which
 * forks one or two of these so that the clients' work does not share an event loop with the
 * upstream servers the driver runs.
 *
 * Every client sends from its own loopback source address (`localAddress`, so the service's
 * per-client budget applies as it would to distinct machines) over its own keep-alive agent, at
 * a fixed rate: a request goes out at its scheduled time whether or not earlier ones have been
 * answered, unless the client already has `maxInFlight` requests in flight, in which case it is
 * counted as shed by the driver. Latency is measured from sending to the end of the body; how
 * late a request went out after its scheduled time is recorded apart (the schedule lag), so a
 * driver that cannot keep up shows as such.
 *
 * Protocol over the IPC channel (load-stats.ts): `alive` once loaded; `start` with the settings
 * → `ready`; `snapshot` → the counters of the interval since the previous snapshot; at the end
 * of the window the worker drains (waits for answers at most `drainMs`) and sends `final`; `stop`
 * ends the window early (with its own, shorter drain). The worker exits when the channel closes.
 */
import { createWriteStream } from 'node:fs';
import { Agent, request, type ClientRequest } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Histogram } from './histogram.js';
import {
  bump,
  bumpBounded,
  CATEGORIES,
  emptyKindStats,
  keepSlowest,
  normalizeDescription,
  type Category,
  type IntervalStats,
  type KindSpec,
  type KindStats,
  type WorkerCommand,
  type WorkerConfig,
  type WorkerFinal,
  type WorkerSnapshot,
} from './load-stats.js';
import { resolveUrl } from './service-support.js';

/** Period of the event-loop delay monitor, milliseconds. */
const LOOP_RESOLUTION_MS = 10;

/** Bytes of an error body kept to read its `error` code. */
const ERROR_BODY_BYTES = 8 * 1024;

/** A small deterministic PRNG (mulberry32), so a seed reproduces the sequence of kinds. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimulatedClient {
  readonly index: number;
  readonly address: string;
  readonly agent: Agent;
  inFlight: number;
  nextAt: number;
  sequence: number;
}

interface LiveKind {
  readonly spec: KindSpec;
  readonly stats: KindStats;
  readonly latency: Histogram;
  /** Upper end of this kind's share of [0, 1). */
  readonly upTo: number;
}

function newInterval(): IntervalStats & { histogram: Histogram } {
  const histogram = new Histogram();
  return { sent: 0, shed: 0, answered: 0, failed: 0, latency: histogram.toJSON(), histogram };
}

/** A run in progress. */
interface WorkerRun {
  /** Ends the window now; the drain (at most `drainMs`) and `final` follow. */
  stop(drainMs: number): void;
  /** The interval since the previous snapshot. */
  snapshot(): WorkerSnapshot;
}

function run(config: WorkerConfig, send: (message: unknown) => void): WorkerRun {
  const rand = random(config.seed * 7919 + config.worker);
  const totalWeight = config.kinds.reduce((sum, kind) => sum + kind.weight, 0);
  let cumulative = 0;
  const kinds: LiveKind[] = config.kinds.map((spec) => {
    cumulative += spec.weight / totalWeight;
    return { spec, stats: emptyKindStats(), latency: new Histogram(), upTo: cumulative };
  });
  const pick = (): LiveKind => {
    const u = rand();
    return kinds.find((kind) => u < kind.upTo) ?? (kinds[kinds.length - 1] as LiveKind);
  };
  let interval = Object.fromEntries(CATEGORIES.map((c) => [c, newInterval()])) as Record<
    Category,
    ReturnType<typeof newInterval>
  >;
  const scheduleLag = new Histogram();
  // The optional trace: sent at (s), kind, client, connection, connected, headers, total (ms),
  // status. Streamed to the file, never held.
  const trace =
    config.tracePath === undefined
      ? undefined
      : createWriteStream(config.tracePath, { flags: 'a' });
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const live = new Set<{ req: ClientRequest; finish: () => void }>();
  let inFlight = 0;
  let maxInFlight = 0;

  const gap = (): number =>
    config.arrivals === 'poisson'
      ? (-Math.log(1 - rand()) * 1000) / config.clientRate
      : 1000 / config.clientRate;
  const startAt = performance.now() + Math.max(0, config.startAtEpochMs - Date.now());
  const endAt = startAt + config.durationMs;
  const clients: SimulatedClient[] = config.clients.map((client) => ({
    index: client.index,
    address: client.address,
    // `timeout` matters for idle sockets: without it Node's agent ignores the server's
    // `Keep-Alive: timeout=…` hint and keeps idle sockets until the server closes them, so a
    // request sent just then meets a reset. With it, an idle socket is dropped a second before
    // the server's hint (a request in flight has its own time-out, set below).
    agent: new Agent({
      keepAlive: true,
      maxSockets: config.maxInFlight,
      localAddress: client.address,
      timeout: config.requestTimeoutMs,
    }),
    inFlight: 0,
    // Clients start spread over one interval, so their requests do not arrive in lockstep.
    nextAt: startAt + rand() * (1000 / config.clientRate),
    sequence: 0,
  }));

  const fire = (client: SimulatedClient, scheduledAt: number): void => {
    const kind = pick();
    const { stats, spec } = kind;
    const slot = interval[spec.category];
    if (client.inFlight >= config.maxInFlight) {
      stats.shed++;
      slot.shed++;
      return;
    }
    const subjects = spec.subjects;
    const subject =
      'fixed' in subjects
        ? (subjects.fixed[Math.floor(rand() * subjects.fixed.length)] ?? '')
        : `${subjects.prefix}c${client.index}-${client.sequence++}`;
    const sentAt = performance.now();
    scheduleLag.record(sentAt - scheduledAt);
    stats.sent++;
    slot.sent++;
    client.inFlight++;
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;

    let finished = false;
    const finish = (): boolean => {
      if (finished) return false;
      finished = true;
      client.inFlight--;
      inFlight--;
      live.delete(entry);
      return true;
    };
    let reusedSocket = false;
    let connectedAt = sentAt;
    let headersAt = sentAt;
    const answered = (status: number, body: string): void => {
      if (!finish()) return;
      const now = performance.now();
      const elapsed = now - sentAt;
      trace?.write(
        `${((sentAt - startAt) / 1000).toFixed(4)}\t${spec.name}\t${client.index}\t${reusedSocket ? 'kept' : 'new'}\t${(connectedAt - sentAt).toFixed(1)}\t${(headersAt - sentAt).toFixed(1)}\t${elapsed.toFixed(1)}\t${status}\n`,
      );
      keepSlowest(stats.slowest, {
        totalMs: elapsed,
        sentAtS: (sentAt - startAt) / 1000,
        status,
        reusedSocket,
        connectedMs: connectedAt - sentAt,
        headersMs: headersAt - sentAt,
      });
      stats.answered++;
      if (now <= endAt) stats.answeredInWindow++;
      kind.latency.record(elapsed);
      const current = interval[spec.category];
      current.answered++;
      current.histogram.record(elapsed);
      bump(stats.statuses, String(status));
      if (status === 200) return;
      current.failed++;
      let code = '(no error code)';
      let description = '';
      try {
        const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
        if (typeof parsed.error === 'string') code = parsed.error;
        if (typeof parsed.error_description === 'string') description = parsed.error_description;
      } catch {
        code = '(body not JSON)';
      }
      bump(stats.errors, code);
      bumpBounded(stats.descriptions, `${status} ${code}: ${normalizeDescription(description)}`);
    };
    const failed = (reason: string): void => {
      if (!finish()) return;
      bump(stats.driverErrors, reason);
    };

    const req = request(
      resolveUrl(config.serviceUrl, subject, spec.anchor),
      { agent: client.agent, localAddress: client.address },
      (res) => {
        headersAt = performance.now();
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (status !== 200 && kept < ERROR_BODY_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on('end', () => answered(status, Buffer.concat(chunks).toString('utf8')));
        res.on('error', (error: NodeJS.ErrnoException) => failed(error.code ?? error.message));
        res.on('aborted', () => failed('response aborted'));
      },
    );
    const entry = {
      req,
      // Abandoned at the end of the drain: counted apart, not as a driver error.
      finish: () => {
        if (finish()) stats.unanswered++;
        req.destroy();
      },
    };
    live.add(entry);
    req.once('socket', (socket) => {
      reusedSocket = req.reusedSocket;
      if (reusedSocket || !socket.connecting) connectedAt = performance.now();
      else socket.once('connect', () => (connectedAt = performance.now()));
    });
    req.setTimeout(config.requestTimeoutMs, () => {
      failed('driver timeout');
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) => failed(error.code ?? error.message));
    req.end();
  };

  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const cpuBefore = process.cpuUsage();
  let windowMs = 0;

  const tick = (): void => {
    timer = undefined;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const client of clients) {
      while (client.nextAt <= now && client.nextAt < endAt) {
        fire(client, client.nextAt);
        client.nextAt += gap();
      }
      if (client.nextAt < endAt) next = Math.min(next, client.nextAt);
    }
    if (now >= endAt) {
      void finishRun(now);
      return;
    }
    // Nothing more to send: the window still ends at its time.
    timer = setTimeout(tick, Math.max(0, Math.min(next, endAt) - performance.now()));
  };

  const finishRun = async (now: number, drainMs = config.drainMs): Promise<void> => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clearTimeout(timer);
    windowMs = Math.max(0, Math.min(now, endAt) - startAt);
    const drainUntil = performance.now() + drainMs;
    while (live.size > 0 && performance.now() < drainUntil) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const entry of [...live]) entry.finish();
    const elapsedMs = performance.now() - startAt;
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    for (const client of clients) client.agent.destroy();
    await new Promise<void>((resolve) => (trace === undefined ? resolve() : trace.end(resolve)));
    const final: WorkerFinal = {
      type: 'final',
      kinds: Object.fromEntries(
        kinds.map((kind) => [kind.spec.name, { ...kind.stats, latency: kind.latency.toJSON() }]),
      ),
      windowMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      elapsedMs,
      scheduleLag: scheduleLag.toJSON(),
      // The histogram records the whole time between two ticks of its timer; the delay is what
      // exceeds the timer's own period.
      loopDelay: {
        p50Ms: Math.max(0, loopDelay.percentile(50) / 1e6 - LOOP_RESOLUTION_MS),
        p99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
        maxMs: Math.max(0, loopDelay.max / 1e6 - LOOP_RESOLUTION_MS),
      },
      maxInFlight,
    };
    send(final);
  };

  loopDelay.enable();
  timer = setTimeout(tick, Math.max(0, startAt - performance.now()));
  return {
    stop: (drainMs) => void finishRun(performance.now(), drainMs),
    snapshot: () => {
      const categories = Object.fromEntries(
        CATEGORIES.map((c) => {
          const { histogram, ...counts } = interval[c];
          return [c, { ...counts, latency: histogram.toJSON() }];
        }),
      ) as Record<Category, IntervalStats>;
      interval = Object.fromEntries(CATEGORIES.map((c) => [c, newInterval()])) as typeof interval;
      return { type: 'snapshot', categories, inFlight };
    },
  };
}

if (process.send === undefined) {
  console.error('load-worker is started by load.js through child_process.fork');
  process.exitCode = 1;
} else {
  // A Ctrl-C in the terminal reaches the whole process group: the driver decides when this
  // worker stops (it sends `stop` or closes the channel), so the signal itself is ignored here.
  process.on('SIGINT', () => undefined);
  const send = (message: unknown): void => {
    if (process.connected) process.send?.(message);
  };
  let current: WorkerRun | undefined;
  process.on('message', (message: WorkerCommand) => {
    if (message.type === 'start' && current === undefined) {
      current = run(message.config, send);
      send({ type: 'ready' });
    } else if (message.type === 'snapshot' && current !== undefined) {
      send(current.snapshot());
    } else if (message.type === 'stop') {
      current?.stop(message.drainMs);
    }
  });
  send({ type: 'alive' });
  // Without the channel nobody is listening: exit, abandoning whatever is in flight.
  process.on('disconnect', () => process.exit(0));
}
