/**
 * ResolutionWorkers when a worker misbehaves (docs/decisions.md, RESOLUTION_WORKERS): what a
 * stopped worker had in progress is finished by the service's own resolver, a worker that keeps
 * stopping is not started again, and a worker that does not answer a cancelled resolution is not
 * waited for. The workers are real threads running test/support/workers/misbehaving-worker.ts;
 * the service's resolver is a recorder of what it is asked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger, ResolutionRunner } from '../../../src/engine/ports.js';
import { InvalidTrustChainError } from '../../../src/federation/errors.js';
import { failedOutcome } from '../../../src/federation/resolver.js';
import type { ResolutionQuery } from '../../../src/federation/types.js';
import { ResolutionWorkers } from '../../../src/infrastructure/workers/resolution-workers.js';

const SCRIPT = new URL('../../support/workers/misbehaving-worker.js', import.meta.url);
const QUERY: ResolutionQuery = {
  subject: 'https://op.example',
  trustAnchors: ['https://ta.example'],
};

/** A logger that keeps its lines. */
function recordingLogger(lines: string[] = []): Logger & { readonly lines: string[] } {
  const log = (level: string) => (_object: object, message?: string) =>
    lines.push(`${level}: ${message ?? ''}`);
  const logger = {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
    isLevelEnabled: () => true,
  };
  return logger;
}

/** The service's own resolver: answers every query it is asked as invalid, and counts them. */
function recordingFallback(): Pick<ResolutionRunner, 'start'> & { readonly asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    start(query) {
      asked.push(query.subject);
      const outcome = failedOutcome(
        query,
        new InvalidTrustChainError('answered here', { reason: 'signature_invalid' }),
      );
      return {
        subjectConfiguration: Promise.resolve(undefined),
        outcome: Promise.resolve(outcome),
      };
    },
  };
}

function pool(behaviour: string, fallback: Pick<ResolutionRunner, 'start'>, logger: Logger) {
  return new ResolutionWorkers({
    count: 1,
    script: SCRIPT,
    workerData: { behaviour },
    timeoutMs: 1000,
    fallback,
    logger,
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `not within 10 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ResolutionWorkers when a worker misbehaves', () => {
  it('a resolution in progress when its worker stops is finished by the service resolver, and the worker starts again', async () => {
    const fallback = recordingFallback();
    const logger = recordingLogger();
    const workers = pool('exit', fallback, logger);
    try {
      const run = workers.start(QUERY, { trustAnchors: [], now: 0 });
      const outcome = await run.outcome;
      assert.equal(outcome.ok, false);
      assert.deepEqual(fallback.asked, [QUERY.subject]);
      assert.equal(await run.subjectConfiguration, undefined);
      await until(() => workers.running === 1, 'the worker started again');
      assert.ok(logger.lines.some((line) => line.startsWith('warn: resolution worker stopped')));
    } finally {
      await workers.close();
    }
  });

  it('a worker that keeps stopping is not started again: resolutions run on the service thread, and it says so', async () => {
    const fallback = recordingFallback();
    const logger = recordingLogger();
    const workers = pool('exit-at-start', fallback, logger);
    try {
      await until(
        () => logger.lines.some((line) => line.includes('is not started again')),
        'the pool gave up on the worker',
      );
      assert.equal(workers.running, 0);
      const outcome = await workers.start(QUERY, { trustAnchors: [], now: 0 }).outcome;
      assert.equal(outcome.ok, false);
      assert.deepEqual(fallback.asked, [QUERY.subject]);
    } finally {
      await workers.close();
    }
  });

  it('a worker that does not answer a cancelled resolution is not waited for: temporarily_unavailable, deadline_exceeded', async () => {
    const fallback = recordingFallback();
    const workers = pool('silent', fallback, recordingLogger());
    try {
      const deadline = new AbortController();
      const run = workers.start(QUERY, { trustAnchors: [], now: 0, signal: deadline.signal });
      deadline.abort();
      const outcome = await run.outcome;
      assert.equal(outcome.ok, false);
      if (!outcome.ok) {
        assert.equal(outcome.error.code, 'temporarily_unavailable');
        assert.equal(outcome.error.reason, 'deadline_exceeded');
      }
      assert.deepEqual(fallback.asked, []);
    } finally {
      await workers.close();
    }
  });

  it('a resolution whose deadline passed before it started is cancelled at once: deadline_exceeded', async () => {
    const workers = pool('silent', recordingFallback(), recordingLogger());
    try {
      const run = workers.start(QUERY, { trustAnchors: [], now: 0, signal: AbortSignal.abort() });
      // Not a measure of speed: without the cancel the silent worker holds it for ever, and the
      // grace after a cancel is 2 s.
      const never = new Promise<'still waiting'>((resolve) =>
        setTimeout(() => resolve('still waiting'), 8_000).unref(),
      );
      const outcome = await Promise.race([run.outcome, never]);
      assert.notEqual(outcome, 'still waiting');
      if (outcome !== 'still waiting') {
        assert.equal(outcome.ok ? 'ok' : outcome.error.reason, 'deadline_exceeded');
      }
    } finally {
      await workers.close();
    }
  });

  it('close ends what a worker still had in progress as temporarily_unavailable, and stops the threads', async () => {
    const workers = pool('silent', recordingFallback(), recordingLogger());
    const run = workers.start(QUERY, { trustAnchors: [], now: 0 });
    await workers.close();
    const outcome = await run.outcome;
    assert.equal(outcome.ok ? 'ok' : outcome.error.code, 'temporarily_unavailable');
    assert.equal(workers.running, 0);
  });
});
