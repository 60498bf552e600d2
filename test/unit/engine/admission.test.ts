/**
 * §18.1: one caller cannot make the resolver work for nobody else. A budget per client (token
 * bucket) and fair shares of the cold-resolution slots, with a clock moved by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission, INTERNAL_CALLER, type AdmissionOptions } from '../../../src/engine/index.js';
import { TemporarilyUnavailableError } from '../../../src/federation/errors.js';
import { testClock } from '../../support/engine.js';

function admission(options: Partial<AdmissionOptions> = {}) {
  const clock = testClock();
  return {
    clock,
    admission: new Admission(
      {
        clientRate: 10,
        clientBurst: 20,
        slots: 4,
        maxWaitMs: 1000,
        maxWaiting: 16,
        ...options,
      },
      clock,
    ),
  };
}

const A = { client: '192.0.2.1' };
const B = { client: '192.0.2.2' };

function rateLimited(error: unknown): boolean {
  return error instanceof TemporarilyUnavailableError && error.reason === 'rate_limited';
}

describe('admission: the budget of each client', () => {
  it('allows a burst, then the rate, and says when to retry', () => {
    const { admission: gate, clock } = admission();
    for (let i = 0; i < 20; i++) gate.charge(A);
    assert.throws(
      () => gate.charge(A),
      (error: unknown) => {
        assert.ok(rateLimited(error));
        assert.equal((error as TemporarilyUnavailableError).location.retryAfter, 1);
        return true;
      },
    );
    clock.advance(0.5); // five more tokens
    for (let i = 0; i < 5; i++) gate.charge(A);
    assert.throws(() => gate.charge(A), rateLimited);
  });

  it('never limits a client that starts five new resolutions a second', () => {
    const { admission: gate, clock } = admission();
    for (let second = 0; second < 120; second++) {
      for (let i = 0; i < 5; i++) gate.charge(A);
      clock.advance(1);
    }
  });

  it("one client's budget is not another's", () => {
    const { admission: gate } = admission();
    for (let i = 0; i < 20; i++) gate.charge(A);
    assert.throws(() => gate.charge(A), rateLimited);
    gate.charge(B);
  });

  it('rate 0 turns the budget off; internal work is never charged', () => {
    const { admission: off } = admission({ clientRate: 0 });
    for (let i = 0; i < 1000; i++) off.charge(A);
    const { admission: on } = admission({ clientBurst: 1 });
    for (let i = 0; i < 1000; i++) on.charge(INTERNAL_CALLER);
  });

  it('remembers a bounded number of clients', () => {
    const { admission: gate } = admission({ maxClients: 100, clientBurst: 1 });
    gate.charge(A);
    for (let i = 0; i < 1000; i++) gate.charge({ client: `198.51.100.${i}` });
    // A was forgotten long ago, so it starts again with a full burst.
    gate.charge(A);
  });
});

describe('admission: fair shares of the cold-resolution slots', () => {
  it('gives every slot that frees to the waiting client that holds the fewest', async () => {
    const { admission: gate } = admission({ slots: 4 });
    const held = await Promise.all([A, A, A, A].map((caller) => gate.acquire(caller)));
    const order: string[] = [];
    const waiting = [A, A, B, B].map((caller) =>
      gate.acquire(caller).then((release) => {
        order.push(caller.client);
        return release;
      }),
    );
    assert.equal(gate.waiting, 4);
    for (const release of held) release();
    const released = await Promise.all(waiting);
    // B held fewer slots than A until both held two: B first, twice, then A.
    assert.deepEqual(order, [B.client, B.client, A.client, A.client]);
    released.forEach((release) => release());
    assert.equal(gate.active, 0);
  });

  it('answers overloaded when a wait would be too long, or the queue is full', async () => {
    const { admission: gate } = admission({ slots: 1, maxWaitMs: 50, maxWaiting: 1 });
    const release = await gate.acquire(A);
    const waiting = gate.acquire(B);
    await assert.rejects(gate.acquire(B), { reason: 'overloaded' });
    await assert.rejects(waiting, { reason: 'overloaded' });
    release();
    assert.equal(gate.waiting, 0);
    (await gate.acquire(B))();
  });

  it('a release is counted once', async () => {
    const { admission: gate } = admission({ slots: 1 });
    const release = await gate.acquire(A);
    release();
    release();
    assert.equal(gate.active, 0);
  });
});
