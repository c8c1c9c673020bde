// The committed generated code must be what flatc 2.0.8 makes of the committed schema.
// Regenerates into a temp dir (flatc from PATH at 2.0.8, else Debian's package fetched into
// .deps/flatc: this test may need network access to the Debian mirror on a fresh checkout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url)); // dist/test/protocol -> repo root

test('generated FlatBuffers code is fresh (npm run gen:flatbuffers regenerates it)', { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'ig-gen-'));
  try {
    execFileSync(process.execPath, [join(root, 'scripts', 'gen-flatbuffers.mjs'), '--out', out], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    const fresh = readFileSync(join(out, 'infergate-generated.ts'), 'utf8');
    const committed = readFileSync(join(root, 'src', 'protocol', 'generated', 'infergate-generated.ts'), 'utf8');
    assert.ok(fresh === committed, 'src/protocol/generated/infergate-generated.ts is stale: run `npm run gen:flatbuffers` and commit the result');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
