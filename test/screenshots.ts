/**
 * `npm run screenshots`: starts the explorer's test federation and the resolver on loopback,
 * opens the explorer in headless Chromium on a good chain, a broken one and the federation view,
 * and writes PNGs to screenshots/ (git-ignored) for a reviewer to look at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { explorerFederation, launchChromium } from './support/browser.js';
import { repoRoot } from './support/paths.js';
import { startHarness } from './support/service.js';

const out = join(repoRoot(), 'screenshots');
mkdirSync(out, { recursive: true });
const harness = await startHarness(explorerFederation(), ['ta'], { CRAWL: 'on' });
try {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const ta = harness.testbed.entityId('ta');
    const shots: ReadonlyArray<readonly [string, string]> = [
      ['explorer-good', 'op-research'],
      ['explorer-broken', 'rp-broken'],
    ];
    for (const [file, entity] of shots) {
      const query = new URLSearchParams({
        sub: harness.testbed.entityId(entity),
        trust_anchor: ta,
      });
      await page.goto(`${harness.resolver.url}/explorer?${query}`);
      await page.locator('#tree .node').first().waitFor();
      // The statement an operator would look at first: the failing link, else the subject's.
      const failing = page.locator('#tree .link.failed');
      await (
        (await failing.count()) > 0 ? failing.first() : page.locator('#tree .node').first()
      ).click();
      await page.locator('#federation li').first().waitFor();
      // What a visitor sees first, and the whole page.
      await page.screenshot({ path: join(out, `${file}.png`) });
      await page.screenshot({ path: join(out, `${file}-full.png`), fullPage: true });
      console.log(`wrote screenshots/${file}.png and screenshots/${file}-full.png`);
    }
    await page.locator('#federation').screenshot({ path: join(out, 'explorer-federation.png') });
    console.log('wrote screenshots/explorer-federation.png');
  } finally {
    await browser.close();
  }
} finally {
  await harness.close();
}
