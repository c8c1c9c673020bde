// Micro-benchmarks of the wire codecs (tinybench): FlatBuffers vs KServe v2 JSON vs the
// binary tensor extension, for one FP32[K,128] input and one FP32[K,128] output at K=1 and
// K=200. Per format and K it times the four steps of an exchange separately:
//   client encode request -> server decode request -> server encode response -> client decode response
// (the server's share is the middle two) and prints mean / p99 latency in microseconds.
// Run: npx tsc -p tsconfig.json && node dist/bench/protocol/codec.bench.js [--time-ms N]
import { Bench } from 'tinybench';
import { decodeBinaryRequest, decodeBinaryResponse, encodeBinaryRequest, encodeBinaryResponse } from '../../src/protocol/binary-ext.js';
import { decodeFlatRequest, decodeFlatResponse, encodeFlatRequest, encodeFlatResponse } from '../../src/protocol/flatbuffers-codec.js';
import { decodeJsonRequest, decodeJsonResponse, encodeJsonRequest, encodeJsonResponse } from '../../src/protocol/kserve-json.js';
import type { InferRequest, InferResponse } from '../../src/core/types.js';

const timeArg = process.argv.indexOf('--time-ms');
const timeMs = timeArg > 0 ? Number(process.argv[timeArg + 1]) : 300;
const FEATURES = 128;
let sink = 0;

function fp32(k: number, seed: number): Uint8Array {
  const a = new Float32Array(k * FEATURES);
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = Math.round((s / 4294967296 - 0.5) * 2e6) / 1e6; // 6 decimals, as a client would send
  }
  return new Uint8Array(a.buffer);
}

function fixtures(k: number): { req: InferRequest; resp: InferResponse } {
  return {
    req: {
      modelName: 'ranker', modelVersion: '', id: 'bench-000001', timeoutUs: 0, priority: 0, parameters: {},
      inputs: [{ name: 'features', datatype: 'FP32', shape: [k, FEATURES], data: fp32(k, k) }], outputs: [],
    },
    resp: {
      modelName: 'ranker', modelVersion: '1', id: 'bench-000001',
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [k, FEATURES], data: fp32(k, k + 1) }],
    },
  };
}

const bench = new Bench({ time: timeMs, warmupTime: 100 });
const sizes: string[] = [];

for (const k of [1, 200]) {
  const { req, resp } = fixtures(k);
  // FlatBuffers
  const flatReq = encodeFlatRequest(req);
  const flatResp = encodeFlatResponse(resp);
  bench
    .add(`K=${k} flatbuffers  client encode req`, () => { sink += encodeFlatRequest(req).byteLength; })
    .add(`K=${k} flatbuffers  server decode req`, () => { sink += decodeFlatRequest(flatReq).inputs.length; })
    .add(`K=${k} flatbuffers  server encode resp`, () => { sink += encodeFlatResponse(resp).byteLength; })
    .add(`K=${k} flatbuffers  client decode resp`, () => { sink += decodeFlatResponse(flatResp).outputs.length; });
  // KServe JSON (the server decodes bytes off the socket, so the request is a Uint8Array)
  const jsonReq = encodeJsonRequest(req);
  const jsonResp = encodeJsonResponse(resp);
  bench
    .add(`K=${k} json         client encode req`, () => { sink += encodeJsonRequest(req).byteLength; })
    .add(`K=${k} json         server decode req`, () => { sink += decodeJsonRequest(jsonReq, 'ranker', '').inputs.length; })
    .add(`K=${k} json         server encode resp`, () => { sink += encodeJsonResponse(resp).byteLength; })
    .add(`K=${k} json         client decode resp`, () => { sink += decodeJsonResponse(jsonResp).outputs.length; });
  // Binary extension: all inputs and outputs binary
  const binReq = encodeBinaryRequest(req);
  const binary = new Set(['scores']);
  const binResp = encodeBinaryResponse(resp, binary);
  bench
    .add(`K=${k} binary-ext   client encode req`, () => { sink += encodeBinaryRequest(req).body.byteLength; })
    .add(`K=${k} binary-ext   server decode req`, () => { sink += decodeBinaryRequest(binReq.body, binReq.headerLength, 'ranker', '').inputs.length; })
    .add(`K=${k} binary-ext   server encode resp`, () => { sink += encodeBinaryResponse(resp, binary).body.byteLength; })
    .add(`K=${k} binary-ext   client decode resp`, () => { sink += decodeBinaryResponse(binResp.body, binResp.headerLength).outputs.length; });
  sizes.push(`K=${k}: request bytes flatbuffers=${flatReq.byteLength} json=${jsonReq.byteLength} binary-ext=${binReq.body.byteLength}; ` +
    `response bytes flatbuffers=${flatResp.byteLength} json=${jsonResp.byteLength} binary-ext=${binResp.body.byteLength}`);
}

await bench.run();
const us = (ms: number | undefined): string => (ms === undefined ? '-' : (ms * 1000).toFixed(2));
const rows = bench.tasks.map((t) => {
  const r = t.result;
  if (r.state !== 'completed') return { task: t.name, state: r.state };
  return { task: t.name, 'mean us': us(r.latency.mean), 'p99 us': us(r.latency.p99), 'ops/s': Math.round(r.throughput.mean) };
});
console.table(rows);
// Server share of one exchange (decode request + encode response), mean, per format and K.
const mean = (name: string): number => {
  const r = bench.tasks.find((t) => t.name === name)?.result;
  return r !== undefined && r.state === 'completed' ? r.latency.mean * 1000 : NaN;
};
for (const k of [1, 200]) {
  for (const f of ['flatbuffers ', 'json        ', 'binary-ext  ']) {
    const server = mean(`K=${k} ${f} server decode req`) + mean(`K=${k} ${f} server encode resp`);
    const client = mean(`K=${k} ${f} client encode req`) + mean(`K=${k} ${f} client decode resp`);
    console.log(`K=${k} ${f} server decode+encode ${server.toFixed(2)} us   client encode+decode ${client.toFixed(2)} us`);
  }
}
for (const s of sizes) console.log(s);
if (sink === -1) console.log(sink);
