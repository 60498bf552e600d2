/**
 * §18.1 fairness: one attacker client asks for about 100 distinct `silent` subjects a second
 * (their upstream accepts and never answers) while a victim client resolves distinct `ok`
 * subjects about 3 times a second. The victim's cold resolutions keep succeeding; the attacker is
 * held to its own budget (429 with Retry-After) and otherwise gets 503, never another 5xx; its
 * upstream sees no more requests than the attacker's budget allows. Shared by the fast test and
 * the soak.
 *
 * The attacker's subjects live on an upstream origin of their own: per-origin connection limits
 * and the circuit breaker isolate origins, so an attacker can exhaust only the origin it abuses.
 */
import assert from 'node:assert/strict';
import {
  assertError,
  assertHygiene,
  clientAddress,
  get,
  resolveQuery,
  since,
  sleep,
  type Answer,
} from './client.js';
import { startStack } from './stack.js';

/** Sizes and settings of one run. */
export interface FairnessScenario {
  readonly durationMs: number;
  /** FETCH_TIMEOUT_MS of the resolver; undefined keeps the default (3000). */
  readonly fetchTimeoutMs?: number;
}

const ATTACKER_RATE = 100;
const VICTIM_RATE = 3;
/** The defaults the budget assertions rely on. */
const CLIENT_COLD_RATE = 10;
const CLIENT_COLD_BURST = 20;

/** Sends one request every `1000 / rate` ms for `durationMs`; resolves with every answer. */
async function paced(
  rate: number,
  durationMs: number,
  send: (index: number) => Promise<Answer>,
): Promise<Answer[]> {
  const started = performance.now();
  const pending: Promise<Answer>[] = [];
  while (performance.now() - started < durationMs) {
    const due = Math.floor(((performance.now() - started) * rate) / 1000) + 1;
    while (pending.length < due) pending.push(send(pending.length));
    await sleep(Math.max(1, Math.floor(1000 / rate / 2)));
  }
  return Promise.all(pending);
}

/** Runs the scenario and asserts its bounds; logs the figures measured. */
export async function runFairnessScenario(scenario: FairnessScenario): Promise<void> {
  const stack = await startStack({
    upstreams: [{}, {}],
    env:
      scenario.fetchTimeoutMs === undefined
        ? {}
        : { FETCH_TIMEOUT_MS: String(scenario.fetchTimeoutMs) },
  });
  try {
    const [victimUpstream, attackerUpstream] = stack.upstreams;
    if (victimUpstream === undefined || attackerUpstream === undefined) throw new Error('stack');
    const victimAnchor = victimUpstream.trustAnchor.entity_id;
    const attacker = '127.0.200.2';
    const victim = '127.0.200.3';
    const url = (sub: string) => `${stack.resolver.url}/resolve?${resolveQuery(sub, victimAnchor)}`;
    const started = performance.now();
    const [attacks, victims] = await Promise.all([
      paced(ATTACKER_RATE, scenario.durationMs, (i) =>
        get(url(attackerUpstream.entityId('silent', i)), { from: attacker, timeoutMs: 60_000 }),
      ),
      paced(VICTIM_RATE, scenario.durationMs, (i) =>
        get(url(victimUpstream.entityId('ok', i)), { from: victim, timeoutMs: 60_000 }),
      ),
    ]);
    const elapsedMs = since(started);

    const count = (answers: Answer[]) => {
      const byStatus: Record<number, number> = {};
      for (const answer of answers) byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      return byStatus;
    };
    const succeeded = victims.filter((answer) => answer.status === 200).length;
    const rate = succeeded / victims.length;
    console.log(
      `fairness over ${scenario.durationMs} ms (all answered after ${elapsedMs} ms): victim ${succeeded}/${victims.length} = ${(rate * 100).toFixed(1)}% succeeded ${JSON.stringify(count(victims))}; attacker ${attacks.length} requests ${JSON.stringify(count(attacks))}; attacker upstream ${attackerUpstream.requests('silent')} requests`,
    );

    assert.ok(victims.length >= (VICTIM_RATE * scenario.durationMs) / 1000 - 1);
    assert.ok(
      rate >= 0.9,
      `only ${succeeded} of ${victims.length} victim resolutions succeeded: ${JSON.stringify(count(victims))}`,
    );
    for (const answer of victims.filter((v) => v.status !== 200)) {
      assert.ok([429, 503].includes(answer.status), `victim: ${answer.status} ${answer.body}`);
    }

    let limited = 0;
    attacks.forEach((answer, i) => {
      const what = `attacker request ${i}`;
      assert.ok(
        answer.status === 429 || answer.status === 503,
        `${what}: ${answer.status} ${answer.body.slice(0, 200)}`,
      );
      assertError(answer, answer.status, 'temporarily_unavailable', what);
      assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/, `${what}: Retry-After`);
      if (answer.status === 429) limited++;
    });
    assert.ok(limited > 0, 'the attacker went over its budget and was limited');
    // Each cold resolution costs the attacker's upstream at most one request (its configuration).
    const allowed = CLIENT_COLD_BURST + (CLIENT_COLD_RATE * elapsedMs) / 1000 + CLIENT_COLD_RATE;
    assert.ok(
      attackerUpstream.requests('silent') <= allowed,
      `${attackerUpstream.requests('silent')} requests reached the attacker's upstream (budget ${Math.floor(allowed)})`,
    );

    const healthy = await get(url(victimUpstream.entityId('ok', 'after')), {
      from: clientAddress(7),
    });
    assert.equal(healthy.status, 200, healthy.body.slice(0, 200));
    assertHygiene(healthy, 'healthy request');
  } finally {
    await stack.close();
  }
}
