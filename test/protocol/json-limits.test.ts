// Bounded JSON (issue 16, point 2): every limit refuses before the decoder allocates for the
// body, with IG_BAD_REQUEST naming the setting; bodies within the limits decode exactly as
// before, scanned or not; the limits are the same on the scanned (large) and the small path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_JSON_LIMITS, decodeJsonRequest, encodeJsonRequest, scanJson, type JsonLimits } from '../../src/protocol/kserve-json.js';
import { decodeBinaryRequest, encodeBinaryRequest } from '../../src/protocol/binary-ext.js';
import { InferError } from '../../src/core/errors.js';
import { assertRequestsEqual, randomRequest, Rng } from './helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const limits = (o: Partial<JsonLimits>): JsonLimits => ({ ...DEFAULT_JSON_LIMITS, ...o });
const SCAN_ALL = limits({ scanAboveBytes: 0 });

function refuses(fn: () => unknown, pattern: RegExp, code = 'IG_BAD_REQUEST'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InferError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test('scan: objects inside tensor data are refused at the first one, whatever follows', () => {
  const body = enc(`{"inputs":[{"name":"x","datatype":"FP32","shape":[3],"data":[{},{},{}]}]}`);
  refuses(() => scanJson(body, SCAN_ALL, 'request body'), /JSON object at byte 61 is nested 4 levels deep/);
  // Objects where a KServe request has them pass: request, parameters, inputs, outputs and theirs.
  const ok = `{"id":"a","parameters":{"p":1},"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],"parameters":{"q":"{["}}],` +
    `"outputs":[{"name":"y","parameters":{"binary_data":true}}]}`;
  assert.doesNotThrow(() => scanJson(enc(ok), limits({ maxDepth: 4, maxElements: 20 }), 'request body'));
});

test('scan: values, string bytes and nesting each have a limit; strings hide structure', () => {
  const data = (n: number) => enc(`{"inputs":[{"name":"x","datatype":"FP32","shape":[${n}],"data":[${new Array(n).fill(1).join(',')}]}]}`);
  // 5 containers + 3 commas outside the data, then one per element after the first.
  assert.doesNotThrow(() => scanJson(data(100), limits({ maxElements: 107 }), 'b'));
  refuses(() => scanJson(data(100), limits({ maxElements: 106 }), 'b'), /holds more than 106 JSON values \(--max-json-elements\)/);
  const str = (n: number) => enc(`{"id":"${'é'.repeat(n)}","inputs":[]}`);
  assert.doesNotThrow(() => scanJson(str(50), limits({ maxStringBytes: 100 }), 'b'));
  refuses(() => scanJson(str(51), limits({ maxStringBytes: 100 }), 'b'), /longer than 100 bytes \(--max-json-string-bytes\)/);
  // An escaped quote does not end a string; brackets and commas inside one count for nothing.
  assert.doesNotThrow(() => scanJson(enc(`{"id":"\\"[[[[,,,,{{{{","inputs":[]}`), limits({ maxDepth: 4, maxElements: 3 }), 'b'));
  const deep = (d: number) => enc(`{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":${'['.repeat(d)}1${']'.repeat(d)}}]}`);
  assert.doesNotThrow(() => scanJson(deep(29), SCAN_ALL, 'b'));
  refuses(() => scanJson(deep(30), SCAN_ALL, 'b'), /nesting exceeds 32 levels \(--max-json-depth\)/);
  // Malformed JSON within the limits is the parser's to refuse.
  refuses(() => decodeJsonRequest(enc('{"inputs": [}}}}]]]'), 'm', '', SCAN_ALL), /not valid JSON/, 'IG_BAD_JSON');
});

test('a scanned body decodes exactly as the small path decodes it (every datatype, seeded)', () => {
  const rng = new Rng(0x16);
  for (let i = 0; i < 30; i++) {
    const req = randomRequest(rng);
    const bytes = encodeJsonRequest(req);
    assertRequestsEqual(decodeJsonRequest(bytes, req.modelName, req.modelVersion, SCAN_ALL), req);
    assertRequestsEqual(decodeJsonRequest(bytes, req.modelName, req.modelVersion), req);
    const bin = encodeBinaryRequest(req);
    assertRequestsEqual(decodeBinaryRequest(bin.body, bin.headerLength, req.modelName, req.modelVersion, SCAN_ALL), req);
  }
});

test('request limits hold on both paths: inputs, tensor elements before allocation, BYTES element bytes', () => {
  for (const scan of [0, Number.MAX_SAFE_INTEGER]) {
    const l = (o: Partial<JsonLimits>) => limits({ ...o, scanAboveBytes: scan });
    const inputs = (n: number) => JSON.stringify({ inputs: Array.from({ length: n }, (_, i) => ({ name: `x${i}`, datatype: 'BOOL', shape: [1], data: [true] })) });
    assert.equal(decodeJsonRequest(inputs(4), 'm', '', l({ maxInputs: 4 })).inputs.length, 4);
    refuses(() => decodeJsonRequest(inputs(5), 'm', '', l({ maxInputs: 4 })), /"inputs" has 5 entries \(limit 4, --max-inputs\)/);
    refuses(() => decodeJsonRequest('{"inputs":[],"outputs":[{"name":"a"},{"name":"b"}]}', 'm', '', l({ maxInputs: 1 })), /"outputs" has 2 entries/);
    // A shape of 2^40 elements is refused from the shape alone: no buffer is sized by it.
    refuses(() => decodeJsonRequest('{"inputs":[{"name":"x","datatype":"FP32","shape":[1048576,1048576],"data":[]}]}', 'm', '', l({})),
      /elements/, 'IG_BAD_TENSOR');
    refuses(() => decodeJsonRequest('{"inputs":[{"name":"x","datatype":"FP32","shape":[2,3],"data":[1,2,3,4,5,6]}]}', 'm', '', l({ maxElements: 5 })),
      // Scanned, the body's own value count trips first; unscanned, the shape does.
      scan === 0 ? /more than 5 JSON values \(--max-json-elements\)/ : /has 6 elements; JSON data is limited to 5 \(--max-json-elements\)/,
      scan === 0 ? 'IG_BAD_REQUEST' : 'IG_BAD_TENSOR');
    const bytes = (s: string) => JSON.stringify({ inputs: [{ name: 's', datatype: 'BYTES', shape: [2], data: ['ok', s] }] });
    assert.equal(decodeJsonRequest(bytes('日'.repeat(10)), 'm', '', l({ maxStringBytes: 30 })).inputs[0]!.data.byteLength, 4 + 2 + 4 + 30);
    refuses(() => decodeJsonRequest(bytes('日'.repeat(11)), 'm', '', l({ maxStringBytes: 32 })), /32 bytes/, scan === 0 ? 'IG_BAD_REQUEST' : 'IG_BAD_TENSOR');
  }
});

test('a 64 MB body of {} and a million BYTES strings: refused or decoded in bounded time and memory', () => {
  const head = '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[';
  const body = Buffer.alloc(64 * 1024 * 1024);
  body.write(head);
  body.fill('{},', head.length, body.length - 4);
  body.write(']}]}', body.length - 4);
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  refuses(() => decodeJsonRequest(body, 'm', ''), /JSON object at byte 61/);
  assert.ok(performance.now() - t0 < 1000, 'refused at the first {}, without walking the rest');
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 16 * 1024 * 1024, 'nothing was built from it');
  const million = `{"inputs":[{"name":"s","datatype":"BYTES","shape":[1000000],"data":[${new Array(1_000_000).fill('"abc"').join(',')}]}]}`;
  const req = decodeJsonRequest(enc(million), 'm', '');
  assert.equal(req.inputs[0]!.data.byteLength, 7_000_000);
  refuses(() => decodeJsonRequest(enc(million), 'm', '', limits({ maxElements: 999_999 })), /more than 999999 JSON values/);
});
