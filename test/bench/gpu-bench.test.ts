// The GPU bench's command line: bad arguments fail loudly, and where CUDA cannot run it says why
// and exits 0 (so the CPU-only bench suite and CI are unaffected).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cudaUnavailableReason } from '../helpers/gpu.js';

const SCRIPT = fileURLToPath(new URL('../../bench/runtime/gpu.js', import.meta.url));

test('an unknown argument exits 1 naming it', () => {
  const r = spawnSync(process.execPath, [SCRIPT, '--gpu-wrokers', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown argument --gpu-wrokers/);
});

test('without a usable CUDA provider it prints "skipped: <why>" and exits 0', (t) => {
  if (cudaUnavailableReason() === undefined) {
    const why = 'CUDA works here: the bench would run for real (see bench/runtime/gpu.ts)';
    console.log(`# GPU test skipped: ${why}`);
    t.skip(why);
    return;
  }
  const r = spawnSync(process.execPath, [SCRIPT, '--no-gateway'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^skipped: (no NVIDIA GPU device on this machine|ONNX Runtime .* has no CUDAExecutionProvider|the CUDA provider cannot start: [\s\S]+)\n$/);
});
