// ONNX backend conformance: every node/ case of Debian bookworm's libonnx-testdata (fetched
// project-locally into .deps/onnx-testdata by this test) runs through onnxruntime-node (the
// reference) and through infergate's addon, each compared with the suite's expected outputs.
//
// Outcomes per case:
//   - both pass;
//   - the reference fails (load/run error, unrepresentable type, or output mismatch): expected,
//     and listed with ORT's reason in known-failures.json. The test asserts the set of reference
//     failures equals that list, so a change (new ORT, new suite) is visible;
//   - the reference passes but the addon fails: a REAL failure, the test fails.
//
// Regenerate the list after a deliberate change:
//   npx tsc -p tsconfig.json && UPDATE_KNOWN_FAILURES=1 node scripts/run-tests.mjs test/conformance
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { RuntimeTensor } from '../../src/runtime/types.js';
import { listCases, readCase, type BackendCase } from './backend-cases.js';
import { compareTensor } from './compare.js';
import { firstLine, loadAddonRunner, ortReference, type CaseRunner } from './runners.js';
import { fetchTestData, knownFailuresPath, readKnownFailures, type KnownFailures } from './suite-data.js';

export const REFERENCE_MISMATCH = 'output mismatch vs expected';

/** Runs one case on one engine; returns null on success or the failure reason. */
async function attempt(runner: CaseRunner, c: BackendCase): Promise<{ reason: string; detail: string } | null> {
  let actual: Record<string, RuntimeTensor>;
  const outputNames = Object.keys(c.expected);
  try {
    actual = await runner.runOnce(c.modelBytes, c.inputs, outputNames);
  } catch (err) {
    return { reason: firstLine(err), detail: firstLine(err) };
  }
  for (const name of outputNames) {
    const got = actual[name];
    const diff = got ? compareTensor(name, got, c.expected[name]!) : `output '${name}' missing`;
    if (diff !== null) return { reason: REFERENCE_MISMATCH, detail: diff };
  }
  return null;
}

interface SuiteResult {
  cases: number;
  /** Cases the reference passes and whose addon outcome is asserted. */
  addonChecked: number;
  /** Reference-passing 'random' unstable cases, not compared on the addon. */
  randomNotCompared: number;
  bothPass: number;
  referenceFailures: Map<string, string>;
  addonFailures: Map<string, string>;
  addonError: string | null;
  seconds: number;
}

async function runSuite(): Promise<SuiteResult> {
  const t0 = performance.now();
  const unstable = readKnownFailures().unstable;
  const nodeDir = await fetchTestData();
  let addon: CaseRunner | null = null;
  let addonError: string | null = null;
  try {
    addon = await loadAddonRunner();
  } catch (err) {
    addonError = firstLine(err);
  }
  const names = listCases(nodeDir);
  const result: SuiteResult = {
    cases: names.length, addonChecked: 0, randomNotCompared: 0, bothPass: 0, referenceFailures: new Map(), addonFailures: new Map(), addonError, seconds: 0,
  };
  for (const name of names) {
    const c = readCase(nodeDir, name);
    if (!('modelBytes' in c)) {
      result.referenceFailures.set(name, c.reason);
      continue;
    }
    const ref = await attempt(ortReference, c);
    if (ref) {
      result.referenceFailures.set(name, ref.reason);
      continue;
    }
    if (unstable[name]?.kind === 'random') {
      result.randomNotCompared++;
      continue;
    }
    if (!addon) continue;
    result.addonChecked++;
    const mine = await attempt(addon, c);
    if (mine) result.addonFailures.set(name, mine.detail);
    else result.bothPass++;
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

function writeKnownFailures(r: SuiteResult): void {
  const unstable = readKnownFailures().unstable;
  const failures = Object.fromEntries([...r.referenceFailures]
    .filter(([n]) => !(n in unstable))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const body: KnownFailures = {
    description: 'ONNX backend node/ cases that the reference (onnxruntime-node) fails, with its reason. '
      + 'Regenerate: UPDATE_KNOWN_FAILURES=1 node scripts/run-tests.mjs test/conformance',
    suite: 'Debian bookworm libonnx-testdata, data/node/*/test_data_set_0',
    reference: ortReference.label,
    cases: r.cases,
    failures,
    unstable,
  };
  writeFileSync(knownFailuresPath, `${JSON.stringify(body, null, 2)}\n`);
}

const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;

// One pass over the suite feeds every assertion below (the pass is the expensive part).
const suite = runSuite();

test('ONNX backend suite: summary', async () => {
  const r = await suite;
  const refPass = r.cases - r.referenceFailures.size;
  console.log(`[conformance] ${r.cases} cases in ${r.seconds.toFixed(1)} s`);
  console.log(`[conformance] reference (${ortReference.label}): ${refPass} pass, ${r.referenceFailures.size} fail (${pct(r.referenceFailures.size, r.cases)})`);
  if (r.addonError) console.log(`[conformance] addon: NOT RUN (${r.addonError})`);
  else console.log(`[conformance] addon: ${r.bothPass} of ${r.addonChecked} checked reference-passing cases pass (${pct(r.bothPass, r.addonChecked)}), ${r.addonFailures.size} real failures`);
  assert.ok(r.cases > 500, `only ${r.cases} cases found: is the test data complete?`);
  if (process.env['UPDATE_KNOWN_FAILURES'] === '1') {
    writeKnownFailures(r);
    console.log(`[conformance] wrote ${knownFailuresPath}`);
  }
});

test('reference failures equal the committed known-failures list', async () => {
  const r = await suite;
  const { failures: known, unstable } = readKnownFailures();
  const unstableNames = Object.keys(unstable);
  const unstablePassed = unstableNames.filter((n) => !r.referenceFailures.has(n));
  console.log(`[conformance] ${unstableNames.length} unstable cases not asserted on the reference; passed this run: ${unstablePassed.join(', ') || 'none'}`);
  const newlyFailing = [...r.referenceFailures].filter(([n]) => !(n in known) && !(n in unstable)).map(([n, why]) => `${n}: ${why}`);
  const newlyPassing = Object.keys(known).filter((n) => !r.referenceFailures.has(n));
  const reasonChanged = [...r.referenceFailures].filter(([n, why]) => n in known && known[n] !== why);
  for (const [n, why] of reasonChanged) console.log(`[conformance] reason changed for ${n}: now "${why}"`);
  assert.deepEqual({ newlyFailing, newlyPassing }, { newlyFailing: [], newlyPassing: [] },
    'the reference failure set drifted from test/conformance/known-failures.json');
});

test('the addon passes every case the reference passes', async () => {
  const r = await suite;
  assert.equal(r.addonError, null, `the addon could not be loaded: ${r.addonError}`);
  const failures = [...r.addonFailures].map(([n, why]) => `${n}: ${why}`);
  assert.deepEqual(failures, [], `${failures.length} cases pass on the reference but fail through the addon`);
  assert.equal(r.bothPass, r.addonChecked);
  assert.equal(r.addonChecked + r.randomNotCompared, r.cases - r.referenceFailures.size, 'a reference-passing case skipped the addon');
});
