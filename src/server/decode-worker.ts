// The decode thread's entry (Piscina worker; see decode-thread.ts). It scans a large KServe JSON
// body (or binary-extension header) against the limits, parses it and converts its tensors, off
// the HTTP thread. Ownership: the body's ArrayBuffer was transferred in and is this thread's
// until the reply; the reply transfers back every tensor buffer (binary inputs are views into
// the body, so the body goes back with them). A streamed body (DecodeThread.open) is assembled
// here from its segments, which come on a port of its own, and stays here.
import { setFlagsFromString } from 'node:v8';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { runInNewContext } from 'node:vm';
import { Piscina, move } from 'piscina';
import { toInferError } from '../core/errors.js';
import { decodeJsonRequest } from '../protocol/kserve-json.js';
import { decodeBinaryRequest } from '../protocol/binary-ext.js';
import type { DecodeJob, DecodeReply, StreamJob } from './decode-thread.js';

// This thread's heap sees only large bodies, and nothing else allocates here to make V8 collect
// them soon: a refused 64 MB body would stay mapped until some later job (RSS doubled after two
// such bodies). So after every GC_EVERY_BYTES of bodies (a full GC of this small heap takes a
// few ms, on this thread only), collect once the reply has gone out
// (the thread runs its event loop between jobs: atomics are off for this pool).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
const collectYoung = (): void => collect({ type: 'minor' });
const GC_EVERY_BYTES = 4 * 1024 * 1024;
let sinceGcBytes = 0;

function noteBytes(n: number): void {
  sinceGcBytes += n;
  if (sinceGcBytes < GC_EVERY_BYTES) return;
  sinceGcBytes = 0;
  setImmediate(collect);
}

/** Streamed bodies being assembled, by stream id (decode-thread.ts, open()). */
interface Assembly { port: MessagePort; body: Uint8Array; length: number }
const streams = new Map<number, Assembly>();

// Each segment is garbage once copied; collect the young generation every few of them, so a
// streamed body costs its size here, not twice (a scavenge of this small heap: well under 1 ms).
const MINOR_GC_EVERY_BYTES = 8 * 1024 * 1024;
let sinceMinorBytes = 0;

function take(s: Assembly, segment: Uint8Array): void {
  const end = s.length + segment.byteLength;
  if (end > s.body.byteLength) {
    // Longer than announced (uWS frames bodies by Content-Length, so not expected): grow.
    const grown = new Uint8Array(end);
    grown.set(s.body.subarray(0, s.length));
    s.body = grown;
  }
  s.body.set(segment, s.length);
  s.length = end;
  sinceMinorBytes += segment.byteLength;
  if (sinceMinorBytes >= MINOR_GC_EVERY_BYTES) {
    sinceMinorBytes = 0;
    setImmediate(collectYoung);
  }
}

function stream(job: StreamJob): undefined {
  if (job.kind === 'open') {
    const s: Assembly = { port: job.port!, body: new Uint8Array(job.totalBytes), length: 0 };
    streams.set(job.stream, s);
    // Segments are copied in as they come, between jobs.
    s.port.on('message', (segment: Uint8Array) => take(s, segment));
    return undefined;
  }
  const s = streams.get(job.stream);
  streams.delete(job.stream);
  if (s) {
    s.port.close();
    noteBytes(s.body.byteLength);
  }
  return undefined;
}

/** The body of a job: its own buffer, or the stream assembled here (then forgotten). */
function bodyOf(job: DecodeJob): Uint8Array | undefined {
  if (job.buffer) return new Uint8Array(job.buffer, job.byteOffset, job.byteLength);
  const s = streams.get(job.stream!);
  streams.delete(job.stream!);
  if (!s) return undefined;
  // Segments sent before the decode was asked for are queued on the port by now.
  for (let m = receiveMessageOnPort(s.port); m !== undefined; m = receiveMessageOnPort(s.port)) take(s, m.message as Uint8Array);
  s.port.close();
  return s.length === job.byteLength ? s.body.subarray(0, s.length) : undefined;
}

export default function decode(task: DecodeJob | StreamJob): DecodeReply | undefined {
  if (task.kind === 'open' || task.kind === 'drop') return stream(task as StreamJob);
  const job = task as DecodeJob;
  noteBytes(job.byteLength);
  const body = bodyOf(job);
  if (!body) return { ok: false, code: 'IG_INTERNAL', message: 'the decode thread lost part of a streamed body' };
  // Here every body is scanned: it came because it is large.
  const limits = { ...job.limits, scanAboveBytes: 0 };
  try {
    const request = job.kind === 'json'
      ? decodeJsonRequest(body, job.model, job.version, limits)
      : decodeBinaryRequest(body, job.headerLength, job.model, job.version, limits);
    // A streamed body stays here (JSON tensors are built from the parsed values, not views into
    // it): sending it back would put it on the HTTP thread's external memory account.
    const transfer = new Set<ArrayBuffer>(job.buffer ? [job.buffer] : []);
    for (const t of request.inputs) transfer.add(t.data.buffer as ArrayBuffer);
    const reply: DecodeReply = { ok: true, request, buffer: job.buffer };
    return move({ [Piscina.transferableSymbol]: [...transfer], [Piscina.valueSymbol]: reply } as never) as unknown as DecodeReply;
  } catch (e) {
    const ie = toInferError(e);
    return { ok: false, code: ie.code, message: ie.message };
  }
}
