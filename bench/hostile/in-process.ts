// The campaign's in-process half: seeded mutations of valid requests (and generated garbage) fed
// straight to the decoders, as the HTTP and WebSocket handlers call them. Every case must end in
// a request or an InferError: any other exception is a crash, a case slower than hangMs a hang,
// and a decoded tensor whose view leaves its body a memory-safety failure.
import { performance } from 'node:perf_hooks';
import { decodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { decodeJsonRequest, DEFAULT_JSON_LIMITS } from '../../src/protocol/kserve-json.js';
import { decodeBinaryRequest } from '../../src/protocol/binary-ext.js';
import { checkTensorBytes } from '../../src/core/datatypes.js';
import { InferError } from '../../src/core/errors.js';
import type { InferRequest } from '../../src/core/types.js';
import { mutateBytes, mutateJson, Rng } from './mutate.js';
import { decoderSeeds } from './seeds.js';

export type DecoderTarget = 'flatbuffers' | 'json' | 'binary';

export interface TargetTally {
  cases: number;
  decoded: number;
  refused: number;
}

export interface Failure {
  target: string;
  caseIndex: number;
  what: string;
}

export interface InProcessResult {
  seed: number;
  byTarget: Record<DecoderTarget, TargetTally>;
  failures: Failure[];
  slowestCaseMs: number;
}

const SCAN_ALL = { ...DEFAULT_JSON_LIMITS, scanAboveBytes: 0 };

function checkRequest(req: InferRequest, body: Uint8Array): string | undefined {
  for (const t of req.inputs) {
    if (t.data.buffer === body.buffer
      && (t.data.byteOffset < body.byteOffset || t.data.byteOffset + t.data.byteLength > body.byteOffset + body.byteLength)) {
      return `input "${t.name}" is a view outside the body`;
    }
    try {
      checkTensorBytes(t.datatype, t.shape, t.data, t.name);
    } catch (e) {
      return `input "${t.name}" decoded inconsistent with its shape: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** Runs `cases` decoder cases (a third per target), seeded; never throws for a case. */
export function runInProcess(cases: number, seed: number, hangMs = 2000): InProcessResult {
  const rng = new Rng(seed);
  const seeds = decoderSeeds(rng);
  const byTarget: Record<DecoderTarget, TargetTally> = {
    flatbuffers: { cases: 0, decoded: 0, refused: 0 }, json: { cases: 0, decoded: 0, refused: 0 }, binary: { cases: 0, decoded: 0, refused: 0 },
  };
  const failures: Failure[] = [];
  let slowest = 0;
  const targets: DecoderTarget[] = ['flatbuffers', 'json', 'binary'];
  for (let i = 0; i < cases; i++) {
    const target = targets[i % 3]!;
    const s = rng.pick(seeds);
    let body: Uint8Array;
    let run: () => InferRequest;
    if (i % 20 === 19) {
      // Generated garbage, sometimes behind a valid-looking prefix.
      body = rng.bytes(rng.int(512));
      if (target === 'flatbuffers' && body.length >= 8 && rng.int(2)) body.set([73, 71, 82, 81], 4); // "IGRQ"
      if (target !== 'flatbuffers' && body.length > 0 && rng.int(2)) body[0] = 0x7b; // "{"
    } else if (target === 'flatbuffers') {
      body = s.flat;
      for (let m = 0, n = 1 + rng.int(3); m < n; m++) body = mutateBytes(rng, body);
    } else if (target === 'json') {
      body = s.json;
      for (let m = 0, n = 1 + rng.int(3); m < n; m++) body = mutateJson(rng, body);
    } else {
      body = s.binary.body;
      for (let m = 0, n = 1 + rng.int(2); m < n; m++) body = rng.int(2) ? mutateBytes(rng, body) : mutateJson(rng, body);
    }
    const b = body;
    if (target === 'flatbuffers') run = () => decodeFlatRequest(b);
    else if (target === 'json') run = () => decodeJsonRequest(b, 'm', '', rng.int(2) ? SCAN_ALL : DEFAULT_JSON_LIMITS);
    else {
      const headerLength = rng.int(4) === 0 ? rng.int(b.length + 2) : s.binary.headerLength;
      run = () => decodeBinaryRequest(b, headerLength, 'm', '', rng.int(2) ? SCAN_ALL : DEFAULT_JSON_LIMITS);
    }
    const tally = byTarget[target];
    tally.cases++;
    const t0 = performance.now();
    try {
      const req = run();
      const bad = checkRequest(req, b);
      if (bad !== undefined) failures.push({ target, caseIndex: i, what: bad });
      tally.decoded++;
    } catch (e) {
      if (e instanceof InferError && e.message.length > 0 && e.status < 500) tally.refused++;
      else failures.push({ target, caseIndex: i, what: `threw ${e instanceof Error ? `${e.name} (${(e as InferError).code ?? ''}): ${e.message}` : String(e)}` });
    }
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    if (ms > hangMs) failures.push({ target, caseIndex: i, what: `took ${ms.toFixed(0)} ms (hang)` });
  }
  return { seed, byTarget, failures, slowestCaseMs: slowest };
}
