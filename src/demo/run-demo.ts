/**
 * The demo (`npm run demo`, `fedres demo`): starts a sample federation on loopback (a trust anchor, two intermediates,
 * providers and relying parties, one of them with a broken chain, accredited entities and one with
 * an expired trust mark) and the resolver configured for
 * it, resolves a few entities, prints the results and ready-to-paste curl commands, and keeps
 * serving until Ctrl-C. `DEMO_ONESHOT=true` stops after printing (used by the tests).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { startServer } from '../server.js';
import { sampleFederation, startTestbed } from '../testbed/index.js';

/** The port to use: PORT, else 8080, else any free one when that is taken. */
async function choosePort(env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const wanted = Number(env['PORT'] ?? 8080);
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(undefined));
      probe.listen(port, '127.0.0.1', () => {
        const address = probe.address();
        const chosen = typeof address === 'object' && address !== null ? address.port : undefined;
        probe.close(() => resolve(chosen));
      });
    });
  return (await tryPort(wanted)) ?? (await tryPort(0)) ?? wanted;
}

interface ApiResolution {
  readonly trust_chain?: readonly string[];
  readonly trust_marks?: ReadonlyArray<{ readonly trust_mark_type: string }>;
  readonly exp?: number;
  readonly metadata?: Record<string, unknown>;
  readonly error?: string;
  readonly error_description?: string;
}

/** Runs the demo with the settings of `env` (its PORT, LOG_LEVEL, CRAWL, DEMO_ONESHOT). */
export async function runDemo(env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const testbed = await startTestbed(sampleFederation());
  const anchorsDir = mkdtempSync(join(tmpdir(), 'federation-resolver-demo-'));
  writeFileSync(join(anchorsDir, 'ta.json'), testbed.trustAnchorFile('ta'));
  const port = await choosePort(env);
  const service = await startServer(
    loadConfig({
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      RESOLVER_ENTITY_ID: env['RESOLVER_ENTITY_ID'] ?? `http://127.0.0.1:${port}`,
      TRUST_ANCHORS_DIR: anchorsDir,
      // The sample federation lives on loopback over plain HTTP: demo only.
      ALLOW_INSECURE_HTTP: 'true',
      ALLOW_PRIVATE_NETWORK: 'true',
      LOG_LEVEL: env['LOG_LEVEL'] ?? 'error',
      RESOLVER_ORGANIZATION_NAME: 'federation-resolver demo',
      // The sample federation publishes list endpoints: crawl it, for /collection and the report.
      CRAWL: env['CRAWL'] ?? 'on',
    }),
  );
  const stop = async () => {
    await service.close();
    await testbed.close();
    rmSync(anchorsDir, { recursive: true, force: true });
  };

  const ta = testbed.entityId('ta');
  const query = (name: string, extra = '') =>
    `sub=${encodeURIComponent(testbed.entityId(name))}&trust_anchor=${encodeURIComponent(ta)}${extra}`;

  console.log('federation-resolver demo');
  console.log(`  sample federation: ${testbed.url}  (trust anchor ${ta})`);
  console.log(`  resolver:          ${service.url}\n`);

  for (const name of ['op-university', 'op-research', 'rp-shop', 'rp-lab', 'rp-broken']) {
    const response = await fetch(`${service.url}/api/v1/resolve?${query(name)}`);
    const body = (await response.json()) as ApiResolution;
    if (response.ok) {
      const types = Object.keys(body.metadata ?? {}).join(', ');
      console.log(
        `✔ ${name}: resolved through ${(body.trust_chain ?? []).map((id) => id.replace(`${testbed.url}/`, '')).join(' → ')}`,
      );
      console.log(
        `    entity types: ${types}; valid until ${new Date((body.exp ?? 0) * 1000).toISOString()}`,
      );
      const marks = (body.trust_marks ?? []).map((mark) =>
        mark.trust_mark_type.replace(`${testbed.url}/`, ''),
      );
      if (marks.length > 0) console.log(`    verified trust marks: ${marks.join(', ')}`);
      const explained = (await (
        await fetch(`${service.url}/api/v1/explain?${query(name)}`)
      ).json()) as {
        trust_marks?: {
          rejected: ReadonlyArray<{ trust_mark_type?: string; failure: { reason: string } }>;
        };
      };
      for (const rejected of explained.trust_marks?.rejected ?? []) {
        const markType = (rejected.trust_mark_type ?? '?').replace(`${testbed.url}/`, '');
        console.log(`    trust mark left out: ${markType} (${rejected.failure.reason})`);
      }
    } else {
      console.log(
        `✘ ${name}: ${response.status} ${body.error ?? ''}: ${body.error_description ?? ''}`,
      );
      const explain = (await (
        await fetch(`${service.url}/api/v1/explain?${query(name)}`)
      ).json()) as {
        error?: { reason?: string; statement_index?: number; section?: string };
      };
      console.log(
        `    why: reason ${explain.error?.reason ?? '?'} at statement ${String(explain.error?.statement_index)} (spec ${explain.error?.section ?? '?'})`,
      );
    }
  }

  // The crawl started at boot; its report is the federation as a whole.
  const anchorParam = `trust_anchor=${encodeURIComponent(ta)}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const report = await fetch(`${service.url}/api/v1/federation?${anchorParam}`);
    if (report.status === 200) {
      const health = (await report.json()) as {
        members: { total: number; resolved: number; failed: number };
        failures: Array<{ entity_id: string; reason: string }>;
      };
      console.log(
        `\ncrawl of ${ta}: ${health.members.total} members, ${health.members.resolved} resolve, ${health.members.failed} fail`,
      );
      for (const failure of health.failures) {
        console.log(`    ${failure.entity_id}: ${failure.reason}`);
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const op = query('op-university');
  console.log(`\nExplorer: ${service.url}/explorer`);
  console.log(`  the broken chain: ${service.url}/explorer?${query('rp-broken')}`);
  console.log('\nTry it:');
  console.log(`  curl -s '${service.url}/.well-known/openid-federation'`);
  console.log(`  curl -s '${service.url}/resolve?${op}'`);
  console.log(`  curl -s '${service.url}/api/v1/resolve?${op}&entity_type=openid_provider'`);
  console.log(`  curl -s '${service.url}/api/v1/explain?${query('rp-broken')}'`);
  console.log(`  curl -s '${service.url}/discovery/openid-configuration?${op}'`);
  console.log(
    `  curl -s '${service.url}/collection?trust_anchor=${encodeURIComponent(ta)}&query=university'`,
  );
  console.log(
    `  curl -s '${service.url}/api/v1/federation?trust_anchor=${encodeURIComponent(ta)}'`,
  );
  console.log(`  curl -s '${service.url}/metrics'`);

  if (env['DEMO_ONESHOT'] === 'true') {
    await stop();
    return;
  }
  console.log('\nServing until Ctrl-C.');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(0));
    });
  }
}
