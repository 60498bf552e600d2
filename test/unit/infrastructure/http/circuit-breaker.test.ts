import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitPermit,
} from '../../../../src/infrastructure/http/circuit-breaker.js';

const A = 'https://a.example';
const B = 'https://b.example';

/** A breaker on a clock the test moves, with its state changes recorded. */
function breaker(options: CircuitBreakerOptions = {}): {
  breaker: CircuitBreaker;
  advance: (ms: number) => void;
  changes: string[];
} {
  let now = 5_000;
  const changes: string[] = [];
  return {
    breaker: new CircuitBreaker({
      now: () => now,
      onChange: (origin, state) => changes.push(`${origin} ${state}`),
      ...options,
    }),
    advance: (ms) => (now += ms),
    changes,
  };
}

/** Admits a request and fails if it is refused. */
function permit(b: CircuitBreaker, origin: string): CircuitPermit {
  const admission = b.admit(origin);
  assert.ok(admission.admitted, `${origin} should be admitted`);
  return admission.permit;
}

function refusedFor(b: CircuitBreaker, origin: string): number {
  const admission = b.admit(origin);
  assert.ok(!admission.admitted, `${origin} should be refused`);
  return admission.retryAfterSeconds;
}

const fail = (b: CircuitBreaker, origin: string, retryAfterSeconds?: number): void =>
  b.record(
    permit(b, origin),
    retryAfterSeconds === undefined ? { kind: 'failure' } : { kind: 'failure', retryAfterSeconds },
  );

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures (default 5) for openMs (default 30 s)', () => {
    const { breaker: b, advance, changes } = breaker();
    for (let i = 0; i < 4; i += 1) fail(b, A);
    assert.equal(b.state(A), 'closed');
    fail(b, A);
    assert.equal(b.state(A), 'open');
    assert.deepEqual(changes, [`${A} open`]);
    assert.equal(refusedFor(b, A), 30);
    advance(10_001);
    assert.equal(refusedFor(b, A), 20);
    advance(19_998);
    assert.equal(refusedFor(b, A), 1);
    // Another origin is not affected.
    assert.equal(b.state(B), 'closed');
    permit(b, B);
  });

  it('after the open time lets one probe through; its success closes and resets', () => {
    const { breaker: b, advance, changes } = breaker({ failureThreshold: 2, openMs: 1_000 });
    fail(b, A);
    fail(b, A);
    advance(1_000);
    const probe = permit(b, A);
    assert.equal(b.state(A), 'half_open');
    assert.equal(refusedFor(b, A), 1);
    b.record(probe, { kind: 'success' });
    assert.equal(b.state(A), 'closed');
    assert.deepEqual(changes, [`${A} open`, `${A} half_open`, `${A} closed`]);
    fail(b, A);
    assert.equal(b.state(A), 'closed');
    assert.equal(b.size, 1);
  });

  it('a failed probe opens the circuit again; a neutral one lets the next request probe', () => {
    const { breaker: b, advance } = breaker({ failureThreshold: 1, openMs: 1_000 });
    fail(b, A);
    advance(1_000);
    b.record(permit(b, A), { kind: 'neutral' });
    assert.equal(b.state(A), 'half_open');
    const probe = permit(b, A);
    b.record(probe, { kind: 'failure' });
    assert.equal(b.state(A), 'open');
    assert.equal(refusedFor(b, A), 1);
  });

  it('failures of requests admitted before the circuit opened do not extend or reopen it', () => {
    const { breaker: b, advance } = breaker({ failureThreshold: 2, openMs: 1_000 });
    const early = [permit(b, A), permit(b, A), permit(b, A), permit(b, A)];
    b.record(early[0]!, { kind: 'failure' });
    b.record(early[1]!, { kind: 'failure' });
    assert.equal(b.state(A), 'open');
    b.record(early[2]!, { kind: 'failure', retryAfterSeconds: 100 });
    assert.equal(refusedFor(b, A), 1);
    advance(1_000);
    const probe = permit(b, A);
    b.record(early[3]!, { kind: 'failure' });
    assert.equal(b.state(A), 'half_open');
    b.record(probe, { kind: 'success' });
    assert.equal(b.state(A), 'closed');
  });

  it('opens only when failures reach the threshold and outnumber the successes; neutral outcomes count neither way', () => {
    const { breaker: b } = breaker({ failureThreshold: 3 });
    // An origin that answers as often as it fails stays closed.
    for (let i = 0; i < 10; i += 1) {
      b.record(permit(b, A), { kind: 'success' });
      fail(b, A);
    }
    assert.equal(b.state(A), 'closed');
    for (let i = 0; i < 10; i += 1) b.record(permit(b, A), { kind: 'neutral' });
    assert.equal(b.state(A), 'closed');
    fail(b, A);
    assert.equal(b.state(A), 'open', 'eleven failures against ten successes');
  });

  it('counts over a sliding window: the window before still weighs, older outcomes do not', () => {
    const { breaker: b, advance } = breaker({ failureThreshold: 3, windowMs: 1000 });
    fail(b, A);
    fail(b, A);
    advance(2001);
    fail(b, A);
    assert.equal(b.state(A), 'closed', 'the first two failures are two windows old');
    fail(b, A);
    fail(b, A);
    assert.equal(b.state(A), 'open');

    for (let i = 0; i < 10; i += 1) b.record(permit(b, B), { kind: 'success' });
    advance(1100);
    for (let i = 0; i < 5; i += 1) fail(b, B);
    assert.equal(
      b.state(B),
      'closed',
      'nine tenths of the last window’s ten successes still weigh',
    );
    advance(1000);
    fail(b, B);
    assert.equal(b.state(B), 'open', 'the five failures now weigh more than the successes');
  });

  it('an upstream Retry-After longer than openMs keeps it open longer, capped at 300 s', () => {
    const { breaker: b, advance } = breaker({ failureThreshold: 1, openMs: 10_000 });
    fail(b, A, 5);
    assert.equal(refusedFor(b, A), 10);
    fail(b, B, 100_000);
    assert.equal(refusedFor(b, B), 300);
    advance(299_999);
    assert.equal(refusedFor(b, B), 1);
    advance(1);
    permit(b, B);
  });

  it('remembers at most maxOrigins origins, and forgets an origin after two quiet windows', () => {
    const { breaker: b, advance } = breaker({ maxOrigins: 3, windowMs: 1000 });
    for (let i = 0; i < 10; i += 1) fail(b, `https://${i}.example`);
    assert.equal(b.size, 3);
    // The most recently used are kept.
    b.record(permit(b, 'https://9.example'), { kind: 'success' });
    assert.equal(b.size, 3);
    advance(2000);
    for (const i of [7, 8, 9]) assert.equal(b.state(`https://${i}.example`), 'closed');
    assert.equal(b.size, 0);
    // Neutral outcomes remember nothing.
    b.record(permit(b, B), { kind: 'neutral' });
    assert.equal(b.size, 0);
  });

  it('ignores an observer that throws', () => {
    const b = new CircuitBreaker({
      failureThreshold: 1,
      onChange: () => {
        throw new Error('observer failed');
      },
    });
    b.record(permit(b, A), { kind: 'failure' });
    assert.equal(b.state(A), 'open');
  });

  it('refuses options that are not positive integers', () => {
    for (const options of [{ failureThreshold: 0 }, { openMs: -1 }, { maxOrigins: 1.5 }]) {
      assert.throws(() => new CircuitBreaker(options), RangeError);
    }
  });
});
