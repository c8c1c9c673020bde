// Per-call cost of the FlatBuffers answer encoders and the request decoder on a K=1 message.
// Usage (after npm run build / tsc): node bench/results/2026-12-01-k1-lean/codec-micro.mjs
const codec = await import(new URL('../../../dist/src/protocol/flatbuffers-codec.js', import.meta.url).href);
const resp = { modelName: 'ranker', modelVersion: '1', id: 'req-123456', outputs: [{ name: 'score', datatype: 'FP32', shape: [1, 1], data: new Uint8Array(4) }] };
const req = { modelName: 'ranker', modelVersion: '', id: 'lg-000123', timeoutUs: 0, priority: 0, parameters: {},
  inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: new Uint8Array(512) }], outputs: [] };
const body = codec.encodeFlatRequest(req);
const cases = [
  ['encodeFlatResponse (owned buffer)', () => codec.encodeFlatResponse(resp).byteLength],
  ...(codec.encodeFlatResponseTransient ? [['encodeFlatResponseTransient (scratch)', () => codec.encodeFlatResponseTransient(resp).byteLength]] : []),
  ['decodeFlatRequest (688-byte K=1 body)', () => codec.decodeFlatRequest(body).inputs.length],
];
for (const [name, f] of cases) {
  const loops = [];
  for (let r = 0; r < 3; r++) {
    const n = 200_000; const t0 = process.hrtime.bigint(); let x = 0;
    for (let i = 0; i < n; i++) x += f();
    loops.push(Number(process.hrtime.bigint() - t0) / n);
  }
  loops.sort((a, b) => a - b);
  console.log(`${name}: ${loops[1].toFixed(0)} ns per call (loops ${loops.map((v) => v.toFixed(0)).join(', ')})`);
}
if (codec.encodeFlatError) {
  const { InferError } = await import(new URL('../../../dist/src/core/errors.js', import.meta.url).href);
  const e = new InferError('IG_CONCURRENCY_LIMIT', 'model "ranker" version 1 is at its concurrency limit (12 in flight)', { retryAfterS: 1 });
  const loops = [];
  for (let r = 0; r < 3; r++) {
    const n = 200_000; const t0 = process.hrtime.bigint(); let x = 0;
    for (let i = 0; i < n; i++) x += codec.encodeFlatError(e, '', 'ranker', '').byteLength;
    loops.push(Number(process.hrtime.bigint() - t0) / n);
  }
  loops.sort((a, b) => a - b);
  console.log(`encodeFlatError (a refusal): ${loops[1].toFixed(0)} ns per call (loops ${loops.map((v) => v.toFixed(0)).join(', ')})`);
}
