/**
 * `fedres crawl <anchor>`: one pass of the engine's crawler over the federation top-down, with
 * its progress on stderr (one updating line on a terminal, plain lines otherwise) and a summary
 * of members by Entity Type and of failures by reason.
 */
import { clearLine, cursorTo } from 'node:readline';
import type { CrawlProgress, CrawlReport } from '../engine/index.js';
import type { Command } from './command.js';
import { entityArgument, withEngine } from './engine.js';
import { EXIT } from './exit-status.js';
import { horizonOption, positionals, switchOption } from './options.js';
import { nowSeconds, when } from './render.js';

/** Plain progress lines are written at most this often (milliseconds). */
const PLAIN_PROGRESS_INTERVAL_MS = 1000;

function progressText(anchor: string, progress: CrawlProgress): string {
  return `crawling ${anchor}: ${progress.resolved} members resolved (${progress.failed} failed), ${progress.pending} to go`;
}

/** Reports progress on stderr: one line rewritten in place on a terminal, else plain lines. */
function progressReporter(anchor: string): {
  update: (progress: CrawlProgress) => void;
  done: () => void;
} {
  const stream = process.stderr;
  let last: CrawlProgress = { resolved: 0, failed: 0, pending: 0 };
  let writtenAt = 0;
  return {
    update(progress) {
      last = progress;
      if (stream.isTTY) {
        cursorTo(stream, 0);
        clearLine(stream, 0);
        stream.write(progressText(anchor, progress).slice(0, Math.max(10, stream.columns - 1)));
      } else if (Date.now() - writtenAt >= PLAIN_PROGRESS_INTERVAL_MS) {
        writtenAt = Date.now();
        stream.write(`${progressText(anchor, progress)}\n`);
      }
    },
    done() {
      if (stream.isTTY) {
        cursorTo(stream, 0);
        clearLine(stream, 0);
      }
      stream.write(`${progressText(anchor, last)}\n`);
    },
  };
}

/** Counts of `items` by `key`, largest first. */
function countBy<T>(items: readonly T[], key: (item: T) => string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

function summaryLines(report: CrawlReport, horizon: string): string[] {
  const { members } = report;
  const lines = [
    `crawl of ${report.trust_anchor}: ${members.total} members, ${members.resolved} resolve, ${members.failed} fail (${report.crawl_seconds} s)`,
    'members by entity type:',
    ...Object.entries(members.by_entity_type).map(([type, count]) => `  ${type}: ${count}`),
  ];
  if (report.failures.length > 0) {
    lines.push('failures by reason:');
    for (const [reason, count] of countBy(report.failures, (failure) => failure.reason)) {
      lines.push(`  ${reason}: ${count}`);
      for (const failure of report.failures.filter((f) => f.reason === reason)) {
        lines.push(`    ${failure.entity_id}: ${failure.error_description}`);
      }
    }
  }
  for (const failure of report.list_failures) {
    lines.push(
      `listing of ${failure.entity_id} unreadable: ${failure.reason}: ${failure.error_description}`,
    );
  }
  for (const bound of report.bounds) lines.push(`bound reached: ${bound.reason}: ${bound.message}`);
  if (report.expiring.length > 0) {
    lines.push(`expiring within ${horizon}:`);
    for (const expiry of report.expiring) {
      lines.push(`  ${expiry.kind} ${expiry.url}: ${when(expiry.exp, nowSeconds())}`);
    }
  }
  return lines;
}

export const crawlCommand: Command = {
  name: 'crawl',
  synopsis: 'crawl <anchor> [--horizon 7d] [--json]',
  summary:
    'the federation under a configured anchor, top-down through its list endpoints: members by entity type, failures by reason',
  options: { json: { type: 'boolean' }, horizon: { type: 'string' } },
  details: [
    '  --horizon <d>  report statements and marks expiring within it (default 7d; 30m, 12h, 90s)',
    '  --json         the full report: the health report and every member',
    'Progress goes to stderr. Exit status 1 when a member or a listing failed.',
    'The crawl limits are the service settings: --crawl-concurrency, --crawl-max-entities, …',
  ],
  async run(parsed, io) {
    const [id = ''] = positionals(parsed, ['anchor']);
    const horizon = horizonOption(parsed.values);
    return withEngine(
      parsed.env,
      async (engine, config) => {
        const anchor = entityArgument(id, config, 'trust anchor');
        const progress = progressReporter(anchor);
        const report = await engine.crawl(anchor, {
          now: nowSeconds,
          horizonSeconds: horizon.seconds,
          onProgress: progress.update,
        });
        progress.done();
        if (switchOption(parsed.values, 'json')) io.out(JSON.stringify(report, null, 2));
        else for (const line of summaryLines(report, horizon.text)) io.out(line);
        const failed = report.members.failed > 0 || report.list_failures.length > 0;
        return failed ? EXIT.failed : EXIT.ok;
      },
      { CRAWL: 'on' },
    );
  },
};
