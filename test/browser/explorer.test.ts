/**
 * The explorer in a real headless Chromium, against the sample federation (plus a member whose
 * names are markup) and the real resolver on loopback: the page loads cleanly under its
 * Content-Security-Policy, draws good and broken chains, decodes statements, downloads the
 * chain, follows deep links, shows the federation view, and runs nothing a statement says.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { REASON_HINTS } from '../../src/engine/reason-hints.js';
import {
  HOSTILE_NAME,
  explorerFederation,
  launchChromium,
  watchPage,
  type PageWatch,
} from '../support/browser.js';
import { peek, startHarness, type Harness } from '../support/service.js';

/**
 * Waits until `locator` matches `count` elements (the page's CSP forbids the evaluated strings
 * of `waitForFunction`).
 */
async function waitForCount(locator: Locator, count: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await locator.count()) === count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await locator.count(), count);
}

describe('the federation explorer in headless Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  const id = (name: string) => h.testbed.entityId(name);
  const deepLink = (name: string) =>
    `${h.resolver.url}/explorer?${new URLSearchParams({ sub: id(name), trust_anchor: id('ta') })}`;
  /** Entity Identifiers of the tree's nodes, optionally only those of the chosen chain. */
  const nodes = (selector = '#tree .node') =>
    page.locator(selector).evaluateAll((list) => list.map((n) => n.getAttribute('data-entity')));

  before(async () => {
    h = await startHarness(explorerFederation(), ['ta'], { CRAWL: 'on' });
    try {
      browser = await launchChromium();
    } catch (error) {
      await h.close();
      throw error;
    }
  });
  after(async () => {
    try {
      await browser?.close();
    } finally {
      await h.close();
    }
  });
  beforeEach(async () => {
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    watch = await watchPage(page);
  });
  afterEach(async () => {
    await context.close();
    // Every test: nothing on the console, no CSP violation, no dialog, no other origin.
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.dialogs, []);
    const foreign = watch.requests.filter(
      (url) => !url.startsWith(`${h.resolver.url}/`) && !url.startsWith('blob:'),
    );
    assert.deepEqual(foreign, []);
  });

  it('loads from / with the configured anchors and the federation view, without errors', async () => {
    const response = await page.goto(`${h.resolver.url}/`);
    assert.equal(new URL(page.url()).pathname, '/explorer');
    assert.equal(
      response?.headers()['content-security-policy']?.startsWith("default-src 'none'"),
      true,
    );
    await page.locator('#members li').first().waitFor();
    assert.deepEqual(
      await page
        .locator('#trust-anchor option')
        .evaluateAll((list) => list.map((o) => o.textContent)),
      [id('ta')],
    );
    // The health report: the broken member among the failures, with its reason.
    const failure = page.locator('#health .failures li', { hasText: id('rp-broken') });
    await failure.waitFor();
    assert.match((await failure.textContent()) ?? '', /statement_expired/);
    assert.ok((await page.locator('#health .expiring li').count()) > 0);
  });

  it('draws a good chain with its nodes, entity types and valid links, and downloads it', async () => {
    await page.goto(`${h.resolver.url}/explorer`);
    await page.locator('#trust-anchor option').first().waitFor({ state: 'attached' });
    await page.fill('#sub', id('op-university'));
    await page.click('button[type=submit]');
    await page.locator('#tree .node').first().waitFor();
    assert.deepEqual(await nodes(), [id('op-university'), id('university'), id('ta')]);
    assert.deepEqual(await nodes('#tree .node.chosen'), [
      id('op-university'),
      id('university'),
      id('ta'),
    ]);
    const subject = page.locator(`#tree .node[data-entity="${id('op-university')}"]`);
    assert.match((await subject.textContent()) ?? '', /subject.*openid_provider/);
    assert.match(
      (await page.locator(`#tree .node[data-entity="${id('ta')}"]`).textContent()) ?? '',
      /trust anchor.*Example Federation/,
    );
    assert.deepEqual(
      await page.locator('#tree .link').evaluateAll((list) => list.map((l) => l.className)),
      ['link valid chosen', 'link valid chosen'],
    );
    // The address is a deep link to what is shown.
    assert.equal(new URL(page.url()).searchParams.get('sub'), id('op-university'));
    // Metadata and marks.
    assert.match((await page.locator('#metadata').textContent()) ?? '', /openid_provider/);
    assert.equal(await page.locator('#trust-marks li.verified').count(), 2);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), 'trust-chain.json');
    const file = JSON.parse(await readFile((await download.path()) ?? '', 'utf8')) as {
      sub: string;
      trust_anchor: string;
      trust_chain: string[];
    };
    assert.equal(file.sub, id('op-university'));
    assert.equal(file.trust_anchor, id('ta'));
    assert.deepEqual(
      file.trust_chain.map((jwt) => [peek(jwt).claims['iss'], peek(jwt).claims['sub']]),
      [
        [id('op-university'), id('op-university')],
        [id('university'), id('op-university')],
        [id('ta'), id('university')],
        [id('ta'), id('ta')],
      ],
    );
  });

  it('marks the failing link of a broken chain with its reason, section, index, sentence and hint', async () => {
    await page.goto(deepLink('rp-broken'));
    const failed = page.locator('#tree .link.failed');
    await failed.waitFor();
    assert.equal(await failed.count(), 1);
    assert.equal(await failed.getAttribute('data-iss'), id('university'));
    assert.equal(await failed.getAttribute('data-sub'), id('rp-broken'));
    const box = page.locator('#tree .failure');
    assert.equal(await box.count(), 1);
    const text = (await box.textContent()) ?? '';
    assert.match(text, /statement_expired · spec §3\.2 · statement 1/);
    assert.ok(
      text.includes(`the statement by ${id('university')} about ${id('rp-broken')} expired`),
    );
    assert.equal(
      await box.locator('.hint').textContent(),
      `How to fix: ${REASON_HINTS.statement_expired}`,
    );
    assert.equal(await page.locator('#download').isDisabled(), true);
    assert.match((await page.locator('#outcome').textContent()) ?? '', /does not resolve/);
  });

  it('shows the decoded statement of a clicked link and the configuration of a clicked node', async () => {
    await page.goto(deepLink('rp-broken'));
    await page.locator('#tree .link.failed').click();
    assert.equal(
      await page.locator('#inspector-title').textContent(),
      `Subordinate Statement by ${id('university')} about ${id('rp-broken')}`,
    );
    const header = JSON.parse((await page.locator('#inspector-header').textContent()) ?? '') as {
      typ: string;
    };
    assert.equal(header.typ, 'entity-statement+jwt');
    const claims = JSON.parse((await page.locator('#inspector-claims').textContent()) ?? '') as {
      iss: string;
      sub: string;
      exp: number;
    };
    assert.deepEqual([claims.iss, claims.sub], [id('university'), id('rp-broken')]);
    const facts = (await page.locator('#inspector-facts').textContent()) ?? '';
    const expires = new Date(claims.exp * 1000).toISOString().replace('.000Z', 'Z');
    assert.ok(facts.includes(`expires (exp)${expires} (`), facts);
    assert.match(facts, /h \d+ min ago\)/);

    await page.locator(`#tree .node[data-entity="${id('rp-broken')}"]`).click();
    assert.equal(
      await page.locator('#inspector-title').textContent(),
      `Entity Configuration of ${id('rp-broken')}`,
    );
    const configuration = JSON.parse(
      (await page.locator('#inspector-claims').textContent()) ?? '',
    ) as { authority_hints: string[] };
    assert.deepEqual(configuration.authority_hints, [id('university')]);
  });

  it('opens a deep link straight on the entity, with every path tried side by side', async () => {
    await page.goto(deepLink('op-research'));
    await page.locator('#tree .node').first().waitFor();
    assert.equal(await page.inputValue('#sub'), id('op-research'));
    // Two superiors, two paths to the same anchor: the shorter-by-order one chosen.
    assert.deepEqual(
      (await nodes()).sort(),
      [id('op-research'), id('research'), id('ta'), id('ta'), id('university')].sort(),
    );
    assert.equal(
      await page.locator('#tree .children').first().locator(':scope > .subtree').count(),
      2,
    );
    assert.equal(await page.locator('#tree .node.chosen').count(), 3);
  });

  it('shows each trust mark with its verdict, and why a rejected one was left out', async () => {
    await page.goto(deepLink('rp-shop'));
    const rejected = page.locator('#trust-marks li.rejected');
    await rejected.waitFor();
    assert.equal(await rejected.count(), 1);
    assert.equal(await page.locator('#trust-marks li.verified').count(), 0);
    const text = (await rejected.textContent()) ?? '';
    assert.ok(text.startsWith('rejected'), text);
    assert.ok(text.includes(`${h.testbed.url}/marks/certified`), text);
    assert.ok(text.includes(`issued by ${id('certifier')}`), text);
    assert.equal(
      await rejected.locator('.hint').textContent(),
      `How to fix: ${REASON_HINTS.statement_expired}`,
    );
    assert.match(text, /statement_expired/);
    // The chain itself resolves: a bad mark never breaks it (§8.3.2).
    assert.match((await page.locator('#outcome').textContent()) ?? '', /^Resolved/);
  });

  it('filters the members by search and entity type and opens one', async () => {
    await page.goto(`${h.resolver.url}/explorer`);
    await page.locator('#members li').first().waitFor();
    await page.selectOption('#entity-type', 'openid_provider');
    await waitForCount(page.locator('#members .member'), 2);
    await page.fill('#search', 'University Login');
    const only = page.locator('#members .member');
    await waitForCount(only, 1);
    assert.match((await only.textContent()) ?? '', /op-university/);
    await only.click();
    await page.locator('#tree .node').first().waitFor();
    assert.equal(new URL(page.url()).searchParams.get('sub'), id('op-university'));
  });

  it('shows markup from a statement as text and runs nothing', async () => {
    await page.goto(deepLink('rp-hostile'));
    const node = page.locator(`#tree .node[data-entity="${id('rp-hostile')}"]`);
    await node.waitFor();
    assert.equal(await node.locator('.name').textContent(), HOSTILE_NAME);
    await node.click();
    assert.ok(
      ((await page.locator('#inspector-claims').textContent()) ?? '').includes(HOSTILE_NAME),
    );
    const member = page.locator('#members .member', { hasText: id('rp-hostile') });
    await member.waitFor();
    assert.ok(((await member.textContent()) ?? '').includes(HOSTILE_NAME));
    assert.ok(((await page.locator('#metadata').textContent()) ?? '').includes(HOSTILE_NAME));
    assert.equal(await page.locator('img').count(), 0);
    // Nothing named by a statement was requested: no `x`, no logo.
    assert.deepEqual(
      watch.requests.filter((url) => /\/x$|logo/.test(new URL(url).pathname)),
      [],
    );
  });
});
