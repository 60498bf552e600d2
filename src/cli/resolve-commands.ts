/** `fedres resolve` and `fedres explain`: the engine's resolution and its explanation. */
import { RESOLUTION_DETAILS, RESOLUTION_OPTIONS, type Command } from './command.js';
import { queryOfArguments, withEngine } from './engine.js';
import { EXIT, exitStatusOfCode } from './exit-status.js';
import { listOption, positionals, switchOption } from './options.js';
import { explainLines, nowSeconds, resolutionLines } from './render.js';

export const resolveCommand: Command = {
  name: 'resolve',
  synopsis: 'resolve <entity> [--trust-anchor <id>]… [--entity-type <type>]… [--json]',
  summary:
    'the resolved metadata, the chosen chain and the verified trust marks (--json: the body of /api/v1/resolve)',
  options: { ...RESOLUTION_OPTIONS, 'trust-mark-type': { type: 'string', multiple: true } },
  details: [
    ...RESOLUTION_DETAILS,
    '  --trust-mark-type <t>  fail (not_found) unless the entity holds a verified mark of this type (repeatable)',
    'Exit status 1 when the entity does not resolve; explain says why.',
  ],
  async run(parsed, io) {
    const [subject = ''] = positionals(parsed, ['entity']);
    return withEngine(parsed.env, async (engine, config) => {
      const query = queryOfArguments(subject, parsed.values, engine, config);
      const report = await engine.resolution(query, listOption(parsed.values, 'trust-mark-type'));
      // The same serialisation as the JSON API: one compact line.
      if (switchOption(parsed.values, 'json')) io.out(JSON.stringify(report));
      else for (const line of resolutionLines(report, nowSeconds())) io.out(line);
      return EXIT.ok;
    });
  },
};

export const explainCommand: Command = {
  name: 'explain',
  synopsis: 'explain <entity> [--trust-anchor <id>]… [--entity-type <type>]… [--json]',
  summary:
    'every branch tried, as a tree, with the failing rule, its reason, spec section, statement index and a hint how to fix it',
  options: RESOLUTION_OPTIONS,
  details: [
    ...RESOLUTION_DETAILS,
    'Exit status 1 when the entity does not resolve, 3 when a retry may succeed.',
  ],
  async run(parsed, io) {
    const [subject = ''] = positionals(parsed, ['entity']);
    return withEngine(parsed.env, async (engine, config) => {
      const query = queryOfArguments(subject, parsed.values, engine, config);
      const report = await engine.explain(query);
      if (switchOption(parsed.values, 'json')) io.out(JSON.stringify(report, null, 2));
      else for (const line of explainLines(report, nowSeconds())) io.out(line);
      return 'error' in report ? exitStatusOfCode(report.error.error) : EXIT.ok;
    });
  },
};
