// Rebuilds a report from a suite results JSON:
//   node dist/bench/report/cli.js bench/results/<date>-<host>.json
// writes <date>-<host>.md and <date>-<host>/*.svg beside the JSON.
import { readFileSync } from 'node:fs';
import { SUITE_SCHEMA, type SuiteResults } from './results.js';
import { writeReport } from './report.js';

const file = process.argv[2];
if (!file || !file.endsWith('.json')) {
  console.error('usage: node dist/bench/report/cli.js RESULTS.json');
  process.exit(2);
}
const doc = JSON.parse(readFileSync(file, 'utf8')) as SuiteResults;
if (doc.schema !== SUITE_SCHEMA) {
  console.error(`${file}: not a suite results document (schema "${String(doc.schema)}", expected "${SUITE_SCHEMA}")`);
  process.exit(1);
}
console.log(writeReport(doc, file.slice(0, -'.json'.length)));
