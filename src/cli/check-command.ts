/**
 * `fedres check <entity>`: the self-check a joining institution runs in its own CI. Every check
 * is read from the engine's explanation of the entity's resolution under each anchor (the same
 * fetches, rules and hints as the service), one line each: `pass|fail|warn <check>: <message>`,
 * a failure followed by its `hint:` line.
 */
import type { ExplainReport } from '../engine/index.js';
import { entityConfigurationUrl } from '../federation/entity-id.js';
import { TRUST_ANCHOR_OPTION, type Command } from './command.js';
import { entityArgument, queryOf, trustAnchorsOf, withEngine } from './engine.js';
import { EXIT, type ExitStatus } from './exit-status.js';
import { horizonOption, positionals, switchOption, UsageError, type Horizon } from './options.js';
import { failurePlace, nowSeconds, when, type FailureView } from './render.js';

/** One line of the check. */
export interface CheckResult {
  readonly level: 'pass' | 'fail' | 'warn';
  readonly check: string;
  readonly message: string;
  readonly hint?: string;
  /** A failure a retry may cure (temporarily_unavailable). */
  readonly transient?: boolean;
}

const pass = (check: string, message: string): CheckResult => ({ level: 'pass', check, message });

function fail(check: string, subject: string, failure: FailureView): CheckResult {
  return {
    level: 'fail',
    check,
    message: `${subject}: ${failure.error_description} (${failurePlace(failure)})`,
    ...(failure.hint === undefined ? {} : { hint: failure.hint }),
    ...(failure.error === 'temporarily_unavailable' ? { transient: true } : {}),
  };
}

/** A failure of a statement the resolver could not obtain, rather than one it rejected. */
function isFetchFailure(failure: FailureView): boolean {
  return failure.error === 'not_found' || failure.error === 'temporarily_unavailable';
}

type Branch = ExplainReport['branches'][number];

/** The checks of the entity itself and of its superiors, from one explanation. */
function entityChecks(report: ExplainReport): CheckResult[] {
  const subject = report.sub;
  const wellKnown = entityConfigurationUrl(subject);
  const own = report.fetches.find(
    (fetch) => fetch.kind === 'entity_configuration' && fetch.iss === subject,
  );
  if (own?.error !== undefined && isFetchFailure(own.error)) {
    return [fail('well-known', `GET ${wellKnown}`, own.error)];
  }
  const results = [
    pass(
      'well-known',
      `GET ${wellKnown} answered ${own?.status ?? 200} application/entity-statement+jwt`,
    ),
  ];
  // A failure of the subject's configuration alone: its branch is the subject and nothing more.
  const alone = report.branches.find((branch) => branch.path.length === 1);
  const ownFailure =
    (alone?.failure?.reason === 'no_path_to_trust_anchor' ? undefined : alone?.failure) ??
    own?.error;
  if (ownFailure !== undefined) {
    results.push(fail('entity-configuration', wellKnown, ownFailure));
    return results;
  }
  results.push(
    pass('entity-configuration', 'typ, alg, kid, signature, time window and claims are right'),
  );
  if (alone?.failure?.reason === 'no_path_to_trust_anchor') {
    results.push(fail('authority-hints', subject, alone.failure));
    return results;
  }
  const hints = [...new Set(report.branches.map((branch) => branch.path[1]))].filter(
    (hint): hint is string => hint !== undefined,
  );
  results.push(
    pass(
      'authority-hints',
      hints.length === 0
        ? `${subject} lists none: it is a requested Trust Anchor`
        : `${subject} lists ${hints.join(', ')}`,
    ),
  );
  for (const hint of hints) results.push(superiorCheck(report, hint));
  return results;
}

/** Whether `hint` answers and publishes a Subordinate Statement about the subject with its keys. */
function superiorCheck(report: ExplainReport, hint: string): CheckResult {
  const subject = report.sub;
  const configuration = report.fetches.find(
    (fetch) => fetch.kind === 'entity_configuration' && fetch.iss === hint,
  );
  if (configuration?.error !== undefined) {
    return fail('authority-hint', `the configuration of ${hint}`, configuration.error);
  }
  const statement = report.fetches.find(
    (fetch) =>
      fetch.kind === 'subordinate_statement' && fetch.iss === hint && fetch.sub === subject,
  );
  if (statement?.error !== undefined) {
    return fail('authority-hint', `the statement of ${hint} about ${subject}`, statement.error);
  }
  // Statement 0 checked with the keys of statement 1, and statement 1 itself.
  const link = report.branches.find(
    (branch: Branch) =>
      branch.path[1] === hint &&
      branch.failure !== undefined &&
      branch.failure.statement_index !== undefined &&
      branch.failure.statement_index <= 1,
  );
  if (link?.failure !== undefined) {
    return fail('authority-hint', `${hint} about ${subject}`, link.failure);
  }
  return pass(
    'authority-hint',
    `${hint} answers and publishes a Subordinate Statement about ${subject} with its keys`,
  );
}

/** The chain to the anchor of `report`, and what a resolved chain carries. */
function chainChecks(report: ExplainReport, now: number, horizon: Horizon): CheckResult[] {
  const anchor = report.trust_anchors.requested[0] ?? '';
  if ('error' in report) return [fail('trust-chain', `to ${anchor}`, report.error)];
  const { chosen } = report;
  const results = [pass('trust-chain', `to ${anchor}: ${chosen.trust_chain.join(' → ')}`)];
  const types = Object.keys(report.metadata);
  results.push(pass('metadata', `resolved after policy: ${types.join(', ') || 'none'}`));
  const marks = report.trust_marks;
  if (marks === undefined || marks.verified.length + marks.rejected.length === 0) {
    results.push(pass('trust-marks', 'the Entity Configuration carries none'));
  }
  for (const mark of marks?.verified ?? []) {
    results.push(pass('trust-mark', `${mark.trust_mark_type} from ${mark.iss} verifies`));
  }
  for (const mark of marks?.rejected ?? []) {
    results.push(fail('trust-mark', mark.trust_mark_type ?? 'a mark', mark.failure));
  }
  const expiring = chosen.expiries.filter((expiry) => expiry.exp <= now + horizon.seconds);
  for (const expiry of expiring) {
    results.push({
      level: 'warn',
      check: 'expiry',
      message: `the ${expiry.kind === 'statement' ? 'statement' : 'trust mark'} ${expiry.url} (about ${expiry.entity_id}) expires at ${when(expiry.exp, now)}, within ${horizon.text}`,
    });
  }
  if (expiring.length === 0) {
    const first = [...chosen.expiries].sort((a, b) => a.exp - b.exp)[0];
    results.push(
      pass(
        'expiry',
        `nothing expires within ${horizon.text}${first === undefined ? '' : `; the first is ${first.url} at ${when(first.exp, now)}`}`,
      ),
    );
  }
  return results;
}

/** Whether the entity's hints lead nowhere near the anchor of `report` (another federation). */
function unreached(report: ExplainReport): boolean {
  return 'error' in report && report.error.reason === 'no_path_to_trust_anchor';
}

/** The lines of `results` (each failure with its hint) and the exit status they make. */
export function checkOutcome(
  results: readonly CheckResult[],
  strict: boolean,
): { lines: string[]; status: ExitStatus } {
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${result.level} ${result.check}: ${result.message}`);
    if (result.hint !== undefined) lines.push(`hint: ${result.hint}`);
  }
  const failures = results.filter((result) => result.level === 'fail');
  const warned = results.some((result) => result.level === 'warn');
  const status =
    failures.length > 0
      ? failures.every((result) => result.transient === true)
        ? EXIT.transient
        : EXIT.failed
      : strict && warned
        ? EXIT.failed
        : EXIT.ok;
  return { lines, status };
}

/** The JSON document of `check --json`: every check, and the exit status they make. */
export function checkDocument(
  subject: string,
  results: readonly CheckResult[],
  status: ExitStatus,
): Record<string, unknown> {
  const count = (level: CheckResult['level']) =>
    results.filter((result) => result.level === level).length;
  return {
    sub: subject,
    exit_status: status,
    summary: { pass: count('pass'), fail: count('fail'), warn: count('warn') },
    checks: results.map((result) => ({
      level: result.level,
      check: result.check,
      message: result.message,
      ...(result.hint === undefined ? {} : { hint: result.hint }),
      ...(result.transient === true ? { transient: true } : {}),
    })),
  };
}

export const checkCommand: Command = {
  name: 'check',
  synopsis: 'check <entity> [--trust-anchor <id>]… [--horizon 7d] [--strict] [--json]',
  summary:
    "a joining entity's self-check: its well-known URL, its configuration, each authority hint, the chain to each anchor, metadata, trust marks and expiries",
  options: {
    'trust-anchor': TRUST_ANCHOR_OPTION,
    horizon: { type: 'string' },
    strict: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  details: [
    '  --trust-anchor <id>  an anchor the chain must reach (repeatable; default: every configured one)',
    '  --horizon <d>        warn about anything the chain depends on that expires within it (default 7d)',
    '  --strict             warnings fail too',
    '  --json               one JSON document: sub, exit_status, summary, and every check with its level, message and hint',
    'One line per check: pass|fail|warn <check>: <message>; a failure is followed by a line hint: …',
    'Exit status 0 when nothing failed, 1 when a check failed, 3 when only transient failures did.',
  ],
  async run(parsed, io) {
    const [entity = ''] = positionals(parsed, ['entity']);
    const horizon = horizonOption(parsed.values);
    return withEngine(parsed.env, async (engine, config) => {
      const subject = entityArgument(entity, config);
      const anchors = trustAnchorsOf(parsed.values, engine, config);
      const reports: ExplainReport[] = [];
      for (const anchor of anchors) {
        reports.push(await engine.explain(queryOf(subject, [anchor], parsed.values)));
      }
      // Without --trust-anchor, only the configured anchors the entity's hints reach count,
      // unless none does.
      const given = parsed.values['trust-anchor'] !== undefined;
      const reached = reports.filter((report) => !unreached(report));
      const required = given || reached.length === 0 ? reports : reached;
      // The entity's own checks do not depend on the anchor: once is enough.
      const [first] = required;
      if (first === undefined) throw new UsageError('no Trust Anchor to check the chain to');
      const results = entityChecks(first);
      for (const report of reports) {
        if (required.includes(report)) {
          results.push(...chainChecks(report, nowSeconds(), horizon));
        } else {
          const anchor = report.trust_anchors.requested[0] ?? '';
          results.push(
            pass('trust-chain', `to ${anchor}: not reached by the authority hints, not required`),
          );
        }
      }
      const { lines, status } = checkOutcome(results, switchOption(parsed.values, 'strict'));
      if (switchOption(parsed.values, 'json')) {
        io.out(JSON.stringify(checkDocument(subject, results, status), null, 2));
      } else {
        for (const line of lines) io.out(line);
      }
      return status;
    });
  },
};
