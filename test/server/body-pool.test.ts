// Pooled request bodies (src/server/body.ts): a body's buffer goes back to the pool when its
// exchange is answered and is then reused by the next request. These tests fail if a buffer is
// given back while a view into it is still to be read (answers computed from another request's
// bytes), or never given back (aborted clients, refused bodies).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../fixtures/onnx-builder.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { decodeFlatResponse, encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { probe } from '../../scripts/probe-http-edge.js';

const COLS = 1024; // 4 KiB a row: bodies of 1-16 rows fall in five size classes (4-64 KiB)
let gw: TestGateway;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-bodypool-'));
  writeModel(repo, 'm', buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', COLS] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', COLS] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  }), { max_batch_size: 16, dynamic_batching: { max_queue_delay_microseconds: 2000 } });
  // Every batch on the worker (none inline): batches stay in flight for the hop, so requests
  // queue behind them across event-loop turns.
  gw = await startTestGateway(repo, { workers: 1, inline: { maxRows: 0 } });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

function body(rows: number, seed: number): { bytes: Uint8Array; x: Float32Array } {
  const x = seededRows(rows, COLS, seed);
  const bytes = encodeFlatRequest({ modelName: 'm', modelVersion: '', id: `s${seed}`, timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, COLS], data: new Uint8Array(x.buffer) }] });
  return { bytes, x };
}

async function inferChecked(rows: number, seed: number): Promise<void> {
  const { bytes, x } = body(rows, seed);
  const r = await fetch(`${gw.url}/v2/models/m/infer`, { method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' }, body: bytes });
  assert.equal(r.status, 200);
  const out = decodeFlatResponse(new Uint8Array(await r.arrayBuffer())).outputs[0]!;
  const y = new Float32Array(out.data.buffer.slice(out.data.byteOffset, out.data.byteOffset + out.data.byteLength));
  assert.equal(y.length, x.length);
  for (let i = 0; i < x.length; i++) {
    if (y[i] !== Math.max(0, x[i]!)) assert.fail(`request ${seed}: element ${i} is ${y[i]}, relu of its own input is ${Math.max(0, x[i]!)}`);
  }
}

/** The pool once it is quiet: nothing checked out and no buffer taken for 200 ms (a client that
 *  wrote and left at once may reach the server after the test's own writes returned). */
async function settledStats(): Promise<ReturnType<TestGateway['server']['bodyBufferStats']>> {
  let last = -1;
  let quietPolls = 0;
  for (let i = 0; i < 250 && quietPolls < 10; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const s = gw.server.bodyBufferStats();
    const taken = s.allocated + s.reused;
    quietPolls = s.checkedOut === 0 && taken === last ? quietPolls + 1 : 0;
    last = taken;
  }
  return gw.server.bodyBufferStats();
}

test('32 closed-loop clients, 640 requests in batches: every answer comes from its own body while buffers are reused', async () => {
  const before = gw.server.bodyBufferStats();
  // A closed loop, not waves: new bodies arrive (and take buffers) while earlier requests wait
  // in the batcher behind a batch in flight, which is when a buffer given back too early would
  // be overwritten under a queued request's views.
  await Promise.all(Array.from({ length: 32 }, async (_, client) => {
    for (let i = 0; i < 20; i++) await inferChecked(1 + ((client + i) % 16), client * 1000 + i);
  }));
  const s = await settledStats();
  assert.equal(s.checkedOut, 0, 'every body went back');
  assert.ok(s.reused - before.reused > 400, `bodies were reused (${s.reused - before.reused} of 640)`);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  assert.match(metrics, /^infergate_body_buffers_checked_out 0$/m);
});

test('bodies of clients that leave mid-body or mid-compute go back; a refused Content-Length allocates nothing', async () => {
  const port = gw.port;
  const { bytes } = body(16, 7);
  const head = (length: number): string =>
    `POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-flatbuffers\r\nContent-Length: ${length}\r\n\r\n`;
  const leave = async (payload: Buffer, waitMs: number): Promise<void> => {
    const s = net.connect(port, '127.0.0.1');
    await once(s, 'connect');
    s.write(payload);
    await new Promise((r) => setTimeout(r, waitMs));
    s.destroy();
  };
  // Half a body, then gone; a whole body, then gone before the answer.
  await Promise.all(Array.from({ length: 40 }, () => leave(Buffer.concat([Buffer.from(head(bytes.byteLength)), Buffer.from(bytes.subarray(0, 30_000))]), 30)));
  await Promise.all(Array.from({ length: 40 }, () => leave(Buffer.concat([Buffer.from(head(bytes.byteLength)), Buffer.from(bytes)]), 0)));
  const s = await settledStats();
  assert.equal(s.checkedOut, 0, 'aborted exchanges gave their bodies back');

  const allocated = s.allocated + s.reused;
  const r = await probe('127.0.0.1', port, head(256 << 20), 600);
  assert.deepEqual(r.statuses, ['413'], r.raw.slice(0, 200));
  const after = gw.server.bodyBufferStats();
  assert.equal(after.allocated + after.reused, allocated, 'no buffer for a body over the limit');
  await inferChecked(3, 99); // and the server still answers
});
