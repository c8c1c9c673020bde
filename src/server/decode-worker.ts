// The decode thread's entry (Piscina worker; see decode-thread.ts). It scans a large KServe JSON
// body (or binary-extension header) against the limits, parses it and converts its tensors, off
// the HTTP thread. Ownership: the body's ArrayBuffer was transferred in and is this thread's
// until the reply; the reply transfers back every tensor buffer (binary inputs are views into
// the body, so the body goes back with them).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Piscina, move } from 'piscina';
import { toInferError } from '../core/errors.js';
import { decodeJsonRequest } from '../protocol/kserve-json.js';
import { decodeBinaryRequest } from '../protocol/binary-ext.js';
import type { DecodeJob, DecodeReply } from './decode-thread.js';

// This thread's heap sees only large bodies, and nothing else allocates here to make V8 collect
// them soon: a refused 64 MB body would stay mapped until some later job (RSS doubled after two
// such bodies). So after every GC_EVERY_BYTES of bodies (a full GC of this small heap takes a
// few ms, on this thread only), collect once the reply has gone out
// (the thread runs its event loop between jobs: atomics are off for this pool).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const GC_EVERY_BYTES = 4 * 1024 * 1024;
let sinceGcBytes = 0;

function noteBytes(n: number): void {
  sinceGcBytes += n;
  if (sinceGcBytes < GC_EVERY_BYTES) return;
  sinceGcBytes = 0;
  setImmediate(collect);
}

export default function decode(job: DecodeJob): DecodeReply {
  noteBytes(job.byteLength);
  const body = new Uint8Array(job.buffer, job.byteOffset, job.byteLength);
  // Here every body is scanned: it came because it is large.
  const limits = { ...job.limits, scanAboveBytes: 0 };
  try {
    const request = job.kind === 'json'
      ? decodeJsonRequest(body, job.model, job.version, limits)
      : decodeBinaryRequest(body, job.headerLength, job.model, job.version, limits);
    const transfer = new Set<ArrayBuffer>([job.buffer]);
    for (const t of request.inputs) transfer.add(t.data.buffer as ArrayBuffer);
    const reply: DecodeReply = { ok: true, request, buffer: job.buffer };
    return move({ [Piscina.transferableSymbol]: [...transfer], [Piscina.valueSymbol]: reply } as never) as unknown as DecodeReply;
  } catch (e) {
    const ie = toInferError(e);
    return { ok: false, code: ie.code, message: ie.message };
  }
}
