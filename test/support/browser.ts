/**
 * Headless Chromium for the explorer's tests and screenshots: the system's `chromium` (Debian's
 * package; `CHROMIUM_PATH` names another executable), driven by playwright-core. The browser runs
 * without its sandbox, which needs unprivileged user namespaces that CI containers running as
 * root do not offer; it only ever opens the loopback resolver under test.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { sampleFederation, type Topology } from '../../src/testbed/index.js';

/** The Chromium executable: `CHROMIUM_PATH`, else the first chromium on the PATH. */
export function chromiumPath(): string {
  const configured = process.env['CHROMIUM_PATH'];
  if (configured !== undefined && configured !== '') return configured;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  throw new Error(
    'no chromium on the PATH: install it (apt-get install chromium) or set CHROMIUM_PATH',
  );
}

/** Starts headless Chromium; close it in `finally`/`after`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox'],
  });
}

/** What a page did that a test checks: console errors, CSP violations, dialogs, requests. */
export interface PageWatch {
  readonly errors: string[];
  readonly dialogs: string[];
  readonly requests: string[];
}

/** Records every console error, page error, CSP violation, dialog and request of `page`. */
export async function watchPage(page: Page): Promise<PageWatch> {
  const watch: PageWatch = { errors: [], dialogs: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      watch.errors.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => watch.errors.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (request) => watch.requests.push(request.url()));
  // A violation is also reported to the page itself; the console message above is Chromium's.
  await page.exposeFunction('reportViolation', (text: string) => watch.errors.push(text));
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      window.reportViolation('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI));`,
  });
  return watch;
}

/** The organization name of the hostile member: markup that would run if it were parsed. */
export const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

/**
 * The sample federation (a good chain, a broken one, two paths for op-research) plus a member
 * whose names are markup, with a logo the page must never load.
 */
export function explorerFederation(): Topology {
  const sample = sampleFederation();
  return {
    ...sample,
    entities: [
      ...sample.entities,
      {
        name: 'rp-hostile',
        authorityHints: ['ta'],
        metadata: {
          federation_entity: { organization_name: HOSTILE_NAME, logo_uri: '{{url}}/logo.png' },
          openid_relying_party: {
            client_name: HOSTILE_NAME,
            display_name: HOSTILE_NAME,
            redirect_uris: ['{{self}}/callback'],
            logo_uri: '{{url}}/logo.png',
          },
        },
      },
    ],
  };
}
