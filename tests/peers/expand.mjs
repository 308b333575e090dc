// Reference expansion with adaptivecards-templating 2.3.1 + adaptive-expressions 4.23.3.
// Input (stdin or the file given as argument): JSON array of { template, data, host? }.
// Output (stdout): JSON array of { ok: true, result } | { ok: false, error } in the same order.
// Run with LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 TZ=UTC (adaptive-cards.md §7.11).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ACData = require('adaptivecards-templating');

const input = readFileSync(process.argv[2] ?? 0, 'utf8');
const cases = JSON.parse(input);
const results = cases.map(({ template, data, host }) => {
  try {
    const context = { $root: data };
    if (host !== undefined) context.$host = host;
    const expanded = new ACData.Template(template).expand(context);
    return expanded === undefined ? { ok: true, undefined: true } : { ok: true, result: expanded };
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify(results));
