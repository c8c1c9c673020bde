// The README's configuration tables and --help list every settings row, as generated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ALL_SETTINGS } from '../../src/core/settings/index.js';
import { README_BEGIN, README_END, settingsMarkdown, withSettingsTable } from '../../src/cli/settings-doc.js';
import { serveHelp } from '../../src/cli/help.js';

const README = new URL('../../../README.md', import.meta.url);

test('the README\'s configuration tables equal the generated ones (run npm run gen:readme)', () => {
  const readme = readFileSync(README, 'utf8');
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  assert.ok(begin >= 0 && end > begin, 'the README holds the settings markers');
  assert.equal(readme.slice(begin + README_BEGIN.length + 1, end), settingsMarkdown(), 'README is stale: run npm run gen:readme');
  assert.equal(withSettingsTable(readme), readme);
});

test('the generated tables have a line per row, and drift shows', () => {
  const md = settingsMarkdown();
  for (const s of ALL_SETTINGS) {
    const line = md.split('\n').find((l) => (s.flag !== undefined ? l.startsWith(`| \`--${s.flag}`) : l.includes(`| \`${s.configKey!}\` |`)));
    assert.ok(line !== undefined, `${s.key} missing from the README table`);
    assert.ok(line.includes(` ${s.defaultText.replace(/</g, '&lt;').replace(/>/g, '&gt;')} |`), `${s.key}: default missing`);
  }
  const stale = withSettingsTable(`a\n${README_BEGIN}\n| old |\n${README_END}\nb\n`);
  assert.equal(stale, `a\n${README_BEGIN}\n${md}${README_END}\nb\n`);
  assert.throws(() => withSettingsTable('no markers'), /markers/);
});

test('--help lists every row: its flag and environment variable, or its config.json key, and its default', () => {
  const text = serveHelp(4);
  for (const s of ALL_SETTINGS) {
    if (s.flag !== undefined) {
      assert.ok(text.includes(`  --${s.flag}`), `--${s.flag} missing from help`);
      assert.ok(text.includes(`env ${s.env!}`), `${s.env!} missing from help`);
    } else {
      assert.ok(text.includes(`\n  ${s.configKey!}\n`), `${s.configKey!} missing from help`);
    }
    assert.ok(text.replace(/\s+/g, ' ').includes(`default ${s.defaultText}`.replace(/\s+/g, ' ')), `default of ${s.key} missing from help`);
    if (s.decision !== undefined) assert.ok(text.replace(/\s+/g, ' ').includes(`${s.help.replace(/\s+/g, ' ')} See docs/decisions/${s.decision}.`), s.key);
  }
});
