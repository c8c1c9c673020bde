// TypeScript callers get the client's types through package.json "exports" ("types" condition):
// a consumer written as the README's examples are, in strict TypeScript with NodeNext resolution,
// compiles against `infergate/client`, and a misuse (bytes where a typed array belongs, a
// misspelt option) is a compile error. Builds the declarations first (tsconfig.client.json, as
// `npm run build:ts` does) when they are missing or older than the client's sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

function run(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, ...args], { cwd: root, encoding: 'utf8' }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: stdout + stderr });
    });
  });
}

const GOOD = `import { InferClient, InferClientError, type Tensor } from 'infergate/client';
const client = new InferClient('http://127.0.0.1:8000', { format: 'binary', timeoutUs: 1_000_000 });
const r = await client.infer('ranker', { features: { shape: [1, 128], data: new Float32Array(128) } }, { id: 'x' });
const score: Tensor | undefined = r.outputs['score'];
const n: number = score ? score.data.length : 0;
try { await client.ready(); } catch (e) { if (e instanceof InferClientError) console.log(e.code, e.status, e.retryable, n); }
client.close();
`;
const BAD = `import { InferClient } from 'infergate/client';
const client = new InferClient('http://127.0.0.1:8000', { fromat: 'json' });
await client.infer('ranker', { features: { shape: [1, 128], data: 'not a tensor' } });
`;

test('TypeScript consumers compile against infergate/client; misuse does not', { timeout: 120_000 }, async () => {
  const decl = join(root, 'dist/src/client/index.d.ts');
  const sources = readdirSync(join(root, 'src/client')).map((f) => statSync(join(root, 'src/client', f)).mtimeMs);
  if (!existsSync(decl) || statSync(decl).mtimeMs < Math.max(...sources)) {
    const built = await run(['-p', 'tsconfig.client.json']);
    assert.equal(built.code, 0, built.out);
  }
  const dir = join(root, 'dist', 'ts-consumer');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'good.ts'), GOOD);
  writeFileSync(join(dir, 'bad.ts'), BAD);
  const opts = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node'];
  // One compiler run for both files: every error must be in bad.ts, and bad.ts must have both.
  const r = await run([...opts, join(dir, 'good.ts'), join(dir, 'bad.ts')]);
  assert.notEqual(r.code, 0, 'misuse must not compile');
  const errors = r.out.split('\n').filter((l) => /error TS/.test(l));
  assert.deepEqual(errors.filter((l) => !l.includes('bad.ts')), [], `the good consumer compiles:\n${r.out}`);
  assert.ok(errors.some((l) => /fromat/.test(l)), r.out);
  assert.ok(errors.some((l) => /not assignable/.test(l)), r.out);
});
