// The README's client examples run as written on Node 20: each ```js block of the "Client"
// section is written to a file inside the package (so `import 'infergate/client'` resolves
// through package.json "exports", as it does for an installed package) and run in its own node
// process against a real gateway; it must exit 0 on its own (a client left open would keep it
// running) and print what the example prints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let gw: TestGateway;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-readme-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 1024, dynamic_batching: {} });
  gw = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw.close();
  rmSync(repo, { recursive: true, force: true });
});

function clientExamples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Client (`infergate/client`)');
  assert.ok(start >= 0, 'the README has a Client section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** Runs a file in its own node process; asynchronously, since the gateway answering it runs in
 *  this one. */
function runNode(file: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 }, (e, stdout, stderr) => {
      resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
    });
  });
}

test('the README client examples run as written against a gateway', { timeout: 120_000 }, async () => {
  const examples = clientExamples();
  assert.ok(examples.length >= 3, `examples found: ${examples.length}`);
  const dir = join(root, 'dist', 'readme-examples');
  mkdirSync(dir, { recursive: true });
  const outputs: string[] = [];
  for (const [i, code] of examples.entries()) {
    assert.match(code, /from 'infergate\/client'/);
    assert.ok(code.includes('http://127.0.0.1:8000'), 'examples use the npm start address');
    const file = join(dir, `example-${i}.mjs`);
    writeFileSync(file, code.replaceAll('http://127.0.0.1:8000', gw.url));
    const r = await runNode(file);
    assert.equal(r.status, 0, `example ${i} failed (${r.status}):\n${code}\n--- stderr:\n${r.stderr}`);
    outputs.push(r.stdout);
  }
  assert.match(outputs[0]!, /^home-1 FP32 \[ 3, 1 \] true 3\n$/);
  assert.deepEqual(outputs[1]!.trim().split('\n').map((l) => l.replace(/^\S+ /, '')), ['[ 1, 1 ]', '[ 10, 1 ]', '[ 100, 1 ]']);
  assert.match(outputs[2]!, /^400 IG_SHAPE_MISMATCH false .*features/);
});
