// `npm run gen:readme`: rewrites the README's configuration tables from the settings tables
// (src/core/settings/). test/cli/settings-doc.test.ts fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSettingsTable } from '../src/cli/settings-doc.js';

const path = fileURLToPath(new URL('../../README.md', import.meta.url));
const before = readFileSync(path, 'utf8');
const after = withSettingsTable(before);
if (after !== before) writeFileSync(path, after);
process.stdout.write(`${path}: ${after === before ? 'up to date' : 'settings tables rewritten'}\n`);
