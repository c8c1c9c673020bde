// Request tensors -> pool task tensors. Numeric tensors stay where they are (a view of the
// caller's buffer: the batch owns it until the run's result is received); BYTES tensors become
// strings, since strings cannot live in shared memory.
import { kserveToOrt, unpackBytesToStrings } from '../core/datatypes.js';
import type { WireTensor } from '../core/types.js';
import type { RowTensor } from '../batching/index.js';
import type { TaskTensor } from '../pool/task.js';

export interface PlainTensor {
  name: string;
  datatype: WireTensor['datatype'];
  shape: readonly number[];
  buffer: SharedArrayBuffer | ArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

export function toTaskTensor(t: PlainTensor): TaskTensor {
  const dtype = kserveToOrt(t.datatype);
  if (dtype === 'string') {
    const strings = unpackBytesToStrings(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), `input "${t.name}"`);
    return { name: t.name, dtype, shape: [...t.shape], buffer: new ArrayBuffer(0), byteOffset: 0, byteLength: 0, strings };
  }
  return { name: t.name, dtype, shape: [...t.shape], buffer: t.buffer, byteOffset: t.byteOffset, byteLength: t.byteLength };
}

/** Without batching (maxBatchSize 0) one request's tensors go to the model as they are, each
 *  copied once into shared memory (the worker reads them across threads). */
export function unbatchedInputs(inputs: Record<string, RowTensor>): { inputs: PlainTensor[]; release(): void } {
  const out: PlainTensor[] = [];
  for (const [name, t] of Object.entries(inputs)) {
    const buffer = new SharedArrayBuffer(t.bytes.byteLength);
    new Uint8Array(buffer).set(t.bytes);
    out.push({ name, datatype: t.datatype, shape: t.shape, buffer, byteOffset: 0, byteLength: t.bytes.byteLength });
  }
  return { inputs: out, release() {} };
}
