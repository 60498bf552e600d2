/**
 * The entry point of a resolution worker (RESOLUTION_WORKERS, docs/decisions.md): a thread that
 * runs the service's TrustChainResolver on cold resolutions the service hands it, with its own
 * HTTP client and statement caches, and answers with the outcome as data. It never caches a
 * resolution, signs or serves anything: the service does, on its own thread.
 */
import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { buildResolverCore, type WorkerSettings } from './composition-root.js';
import { toFederationError } from './federation/errors.js';
import { failedOutcome } from './federation/resolver.js';
import type { FromWorker, OutcomeData, ToWorker } from './infrastructure/workers/protocol.js';

const port = parentPort;
if (port === null) throw new Error('resolution-worker.js runs as a worker thread only');
const settings = workerData as WorkerSettings;
const core = buildResolverCore(settings.config, settings.logToStderr);
const running = new Map<number, AbortController>();
const post = (message: FromWorker) => port.postMessage(message);

async function resolve(message: Extract<ToWorker, { type: 'resolve' }>): Promise<void> {
  const { id, query, context, timeoutMs } = message;
  const cancel = new AbortController();
  running.set(id, cancel);
  const signal = AbortSignal.any([cancel.signal, AbortSignal.timeout(timeoutMs)]);
  // Every concurrent fetch of the resolution listens to this one signal.
  setMaxListeners(1000, signal);
  try {
    const run = core.resolver.start(query, { ...context, signal });
    void run.subjectConfiguration.then(
      (configuration) => post({ type: 'subject', id, configuration }),
      () => post({ type: 'subject', id, configuration: undefined }),
    );
    const outcome = await run.outcome;
    // What this worker's resolver rejected leaves this worker's cache; the service drops it from
    // its own and, when read from the shared tier, resolves again.
    if (outcome.rejected.length > 0) await core.statements.discard(outcome.rejected);
    if (!outcome.ok && outcome.error.code === 'server_error') {
      core.logger.error({ subject: query.subject, err: outcome.error }, 'resolution failed');
    }
    // Only diagnostics, which run exhaustively, read what each fetch received: a resolution to
    // cache crosses without it (the chain's statements cross anyway).
    const trace = context.exhaustive === true ? outcome.trace : { ...outcome.trace, fetches: [] };
    const data: OutcomeData = outcome.ok
      ? { ...outcome, trace }
      : { ok: false, error: outcome.error.toDetail(), trace, rejected: outcome.rejected };
    post({ type: 'outcome', id, outcome: data });
  } catch (error) {
    // A bug, not an answer of the federation: reported as the service reports its own.
    const failure = toFederationError(error);
    core.logger.error({ subject: query.subject, err: failure }, 'resolution failed');
    const { trace, rejected } = failedOutcome(query, failure);
    post({
      type: 'outcome',
      id,
      outcome: { ok: false, error: failure.toDetail(), trace, rejected },
    });
  } finally {
    running.delete(id);
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'resolve':
      void resolve(message);
      return;
    case 'cancel':
      running.get(message.id)?.abort();
      return;
    case 'hold':
      for (const { url, jwt } of message.statements) void core.statements.hold(url, jwt);
      return;
    case 'purge':
      void core.statements
        .purgeLocal(message.entity)
        .then((count) => post({ type: 'purged', id: message.id, count }));
      return;
    case 'metrics':
      void core.metrics
        .snapshot()
        .then((metrics) => post({ type: 'metrics', id: message.id, metrics }));
      return;
  }
});
