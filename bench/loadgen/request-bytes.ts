// Pre-encodes every request template once per run, so the hot loop only writes bytes.
// HTTP: one Buffer per template holding the request head and body (written as is, never mutated,
// so the same Buffer may sit in several sockets' write queues at once).
// WebSocket: one FlatBuffers payload per template whose id is a fixed-width placeholder; the
// client copies the payload into each frame and patches the id digits in the copy.
import type { InferRequest } from '../../src/core/types.js';
import type { Protocol } from './options.js';
import type { RequestTemplate } from './workload.js';

export interface TargetInfo {
  host: string;
  model: string;
  inputName: string;
  features: number;
}

/** The id every WebSocket request carries: this prefix then WS_ID_DIGITS decimal digits. */
export const WS_ID_PREFIX = 'igb-';
export const WS_ID_DIGITS = 12;

export interface WsPayload {
  bytes: Uint8Array;
  /** Offset of the first id digit inside `bytes`. */
  idOffset: number;
}

interface FlatCodec {
  encodeFlatRequest(req: InferRequest): Uint8Array;
}

let flatCodec: FlatCodec | null = null;

/** Loads the project's FlatBuffers encoder (src/protocol/flatbuffers-codec.ts) at run time. */
export async function loadFlatCodec(): Promise<FlatCodec> {
  if (flatCodec) return flatCodec;
  // A computed specifier: the bench compiles and runs its other protocols without the codec.
  const href = new URL('../../src/protocol/flatbuffers-codec.js', import.meta.url).href;
  let mod: Partial<FlatCodec>;
  try {
    mod = (await import(href)) as Partial<FlatCodec>;
  } catch (e) {
    throw new Error(`the FlatBuffers codec is not available (${href}): ${(e as Error).message}`);
  }
  if (typeof mod.encodeFlatRequest !== 'function') throw new Error(`${href} does not export encodeFlatRequest`);
  flatCodec = mod as FlatCodec;
  return flatCodec;
}

function f32Bytes(t: RequestTemplate): Buffer {
  // Float32Array is little-endian on every platform Node supports for this project (x64, arm64).
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function inferRequest(target: TargetInfo, t: RequestTemplate, id: string): InferRequest {
  return {
    modelName: target.model, modelVersion: '', id, timeoutUs: 0, priority: 0, parameters: {},
    inputs: [{ name: target.inputName, datatype: 'FP32', shape: [t.rows, target.features], data: new Uint8Array(f32Bytes(t)) }],
    outputs: [],
  };
}

function httpRequest(target: TargetInfo, path: string, headers: Record<string, string | number>, body: Buffer): Buffer {
  let head = `POST ${path} HTTP/1.1\r\nHost: ${target.host}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += `Content-Length: ${body.byteLength}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function jsonData(t: RequestTemplate): string {
  // The values were rounded to 6 decimals when generated; print them that way, as a client would.
  const parts = new Array<string>(t.data.length);
  for (let i = 0; i < t.data.length; i++) parts[i] = String(Math.round(t.data[i]! * 1e6) / 1e6);
  return parts.join(',');
}

export async function encodeHttpTemplates(protocol: Exclude<Protocol, 'ws'>, target: TargetInfo, templates: readonly RequestTemplate[]): Promise<Buffer[]> {
  const inferPath = `/v2/models/${encodeURIComponent(target.model)}/infer`;
  const codec = protocol === 'flatbuffers' ? await loadFlatCodec() : null;
  return templates.map((t) => {
    const shape = [t.rows, target.features];
    switch (protocol) {
      case 'raw':
        return httpRequest(target, '/infer', { 'Content-Type': 'application/octet-stream' }, f32Bytes(t));
      case 'json': {
        const body = `{"inputs":[{"name":${JSON.stringify(target.inputName)},"shape":[${shape.join(',')}],"datatype":"FP32","data":[${jsonData(t)}]}]}`;
        return httpRequest(target, inferPath, { 'Content-Type': 'application/json' }, Buffer.from(body, 'utf8'));
      }
      case 'binary': {
        const header = Buffer.from(JSON.stringify({
          inputs: [{ name: target.inputName, shape, datatype: 'FP32', parameters: { binary_data_size: t.data.byteLength } }],
          parameters: { binary_data_output: true },
        }), 'utf8');
        return httpRequest(target, inferPath,
          { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': header.byteLength },
          Buffer.concat([header, f32Bytes(t)]));
      }
      case 'flatbuffers': {
        const bytes = codec!.encodeFlatRequest(inferRequest(target, t, ''));
        return httpRequest(target, inferPath, { 'Content-Type': 'application/x-flatbuffers' },
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      }
    }
  });
}

export async function encodeWsTemplates(target: TargetInfo, templates: readonly RequestTemplate[]): Promise<WsPayload[]> {
  const codec = await loadFlatCodec();
  const placeholder = WS_ID_PREFIX + '0'.repeat(WS_ID_DIGITS);
  const marker = Buffer.from(placeholder, 'latin1');
  return templates.map((t) => {
    const bytes = codec.encodeFlatRequest(inferRequest(target, t, placeholder));
    const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(marker);
    if (at < 0) throw new Error('encoded FlatBuffers request does not contain its id bytes');
    return { bytes, idOffset: at + WS_ID_PREFIX.length };
  });
}

/** Writes `seq` as WS_ID_DIGITS zero-padded decimal digits at `offset` (ASCII). */
export function writeIdDigits(target: Uint8Array, offset: number, seq: number): void {
  let v = seq;
  for (let i = WS_ID_DIGITS - 1; i >= 0; i--) {
    target[offset + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/** Finds a request id written by writeIdDigits anywhere in `bytes`; -1 when there is none. */
export function findIdSeq(bytes: Buffer): number {
  const at = bytes.indexOf(WS_ID_PREFIX, 0, 'latin1');
  if (at < 0 || at + WS_ID_PREFIX.length + WS_ID_DIGITS > bytes.length) return -1;
  let v = 0;
  for (let i = 0; i < WS_ID_DIGITS; i++) {
    const c = bytes[at + WS_ID_PREFIX.length + i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
