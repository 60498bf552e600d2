/** Text for a terminal: times, a resolution, an explanation as a tree. Plain data in, lines out. */
import type { ExplainReport, failureView, ResolutionReport } from '../engine/index.js';

/** Now, in seconds since the epoch (the unit of `iat` and `exp`). */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/** Seconds since the epoch as an ISO 8601 time, with how far away it is. */
export function when(exp: number, now: number): string {
  const iso = new Date(exp * 1000).toISOString().replace('.000Z', 'Z');
  return `${iso} (${relative(exp - now)})`;
}

/** `in 3 h`, `2 d ago`: the largest whole unit. */
export function relative(seconds: number): string {
  const size = Math.abs(seconds);
  const [value, unit] =
    size >= 86_400
      ? [size / 86_400, 'd']
      : size >= 3600
        ? [size / 3600, 'h']
        : size >= 60
          ? [size / 60, 'min']
          : [size, 's'];
  const text = `${Math.floor(value)} ${unit}`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** A failure of an explain report as the text of one line, its description on the next. */
export type FailureView = ReturnType<typeof failureView>;

/** `statement_expired, §3.2, statement 1`: the reason, the spec section, the statement. */
export function failurePlace(failure: FailureView): string {
  return [
    failure.reason,
    failure.section,
    failure.statement_index === undefined ? undefined : `statement ${failure.statement_index}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
}

/** The lines of a resolution report for a terminal. */
export function resolutionLines(report: ResolutionReport, now: number): string[] {
  const lines = [
    `${report.sub} resolves under ${report.trust_anchor}`,
    `chain: ${report.trust_chain.join(' → ')}`,
    `valid until: ${when(report.exp, now)}`,
  ];
  if (report.tolerated.length > 0) {
    lines.push(
      `tolerated: ${report.tolerated.map((use) => `${use.tolerance} (statement ${use.statement_index})`).join(', ')}`,
    );
  }
  lines.push(report.trust_marks.length === 0 ? 'trust marks: none verified' : 'trust marks:');
  for (const mark of report.trust_marks) {
    const until = mark.exp === undefined ? 'no expiry' : `until ${when(mark.exp, now)}`;
    lines.push(`  ${mark.trust_mark_type} from ${mark.iss}, ${until}`);
  }
  lines.push('metadata:');
  for (const [type, parameters] of Object.entries(report.metadata)) {
    lines.push(`  ${type}:`);
    for (const [name, value] of Object.entries(parameters)) {
      lines.push(`    ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return lines;
}

interface TreeNode {
  readonly entity: string;
  readonly children: TreeNode[];
  readonly ends: ExplainReport['branches'];
}

/** The branches of an explanation as a tree from the subject up, each with its outcome. */
export function branchTree(report: ExplainReport): string[] {
  const root: TreeNode = { entity: report.sub, children: [], ends: [] };
  for (const branch of report.branches) {
    let node = root;
    for (const entity of branch.path.slice(1)) {
      let child = node.children.find((candidate) => candidate.entity === entity);
      if (child === undefined) {
        child = { entity, children: [], ends: [] };
        node.children.push(child);
      }
      node = child;
    }
    node.ends.push(branch);
  }
  const lines: string[] = [];
  const visit = (node: TreeNode, head: string, rest: string) => {
    const outcomes = node.ends.map((branch) =>
      branch.failure === undefined
        ? branch.status
        : `${branch.status}: ${failurePlace(branch.failure)}`,
    );
    lines.push(`${head}${node.entity}${outcomes.length === 0 ? '' : `  ${outcomes.join('; ')}`}`);
    for (const branch of node.ends) {
      if (branch.failure === undefined) continue;
      lines.push(`${rest}    ${branch.failure.error_description}`);
      if (branch.failure.hint !== undefined) lines.push(`${rest}    hint: ${branch.failure.hint}`);
    }
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      visit(child, `${rest}${last ? '└─ ' : '├─ '}`, `${rest}${last ? '   ' : '│  '}`);
    });
  };
  visit(root, '', '');
  return lines;
}

/** The lines of an explanation for a terminal: outcome, error with its hint, tree, fetches. */
export function explainLines(report: ExplainReport, now: number): string[] {
  const anchors = report.trust_anchors;
  const lines = [`explain ${report.sub}`, `trust anchors used: ${anchors.used.join(', ')}`];
  if (anchors.not_configured.length > 0) {
    lines.push(`trust anchors not configured here: ${anchors.not_configured.join(', ')}`);
  }
  if ('chosen' in report) {
    lines.push(`outcome: resolved through ${report.chosen.trust_chain.join(' → ')}`);
    lines.push(`valid until: ${when(report.chosen.exp, now)}`);
    if (report.chosen.why !== undefined) lines.push(`chosen: ${report.chosen.why}`);
  } else if ('error' in report) {
    lines.push(`outcome: failed, ${report.error.error}: ${failurePlace(report.error)}`);
    lines.push(report.error.error_description);
    if (report.error.hint !== undefined) lines.push(`hint: ${report.error.hint}`);
  }
  for (const rejected of report.trust_marks?.rejected ?? []) {
    lines.push(
      `trust mark left out: ${rejected.trust_mark_type ?? '?'}: ${failurePlace(rejected.failure)}: ${rejected.failure.error_description}`,
    );
    if (rejected.failure.hint !== undefined) lines.push(`  hint: ${rejected.failure.hint}`);
  }
  lines.push('', 'branches tried:', ...branchTree(report), '', 'statements fetched:');
  for (const fetch of report.fetches) {
    const status = fetch.status === undefined ? '---' : String(fetch.status);
    const cache = fetch.cache_hit ? ', cached' : '';
    const error = fetch.error === undefined ? '' : `  ${fetch.error.reason}`;
    lines.push(`  ${status} ${fetch.url} (${fetch.duration_ms} ms${cache})${error}`);
  }
  return lines;
}
