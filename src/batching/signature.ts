// The shape signature: what must be equal for requests to share a batch. Requests are
// concatenated along dim 0, so every input's name, datatype and non-batch dims must match.
import type { TensorMap } from './assemble.js';

/**
 * `name:DTYPE:[d1,d2]` per input, sorted by name (clients may list inputs in any order),
 * joined by '|'. The batch dim (shape[0]) is left out on purpose; a scalar input (no batch
 * dim) is marked `:scalar` and can only batch with the same scalar layout, which the
 * assembler then rejects, so callers should mark such requests unbatchable.
 */
export function batchSignature(inputs: TensorMap): string {
  const names = Object.keys(inputs).sort();
  let s = '';
  for (let i = 0; i < names.length; i++) {
    const t = inputs[names[i]!]!;
    if (i > 0) s += '|';
    s += names[i]! + ':' + t.datatype + ':' + (t.shape.length === 0 ? 'scalar' : '[' + t.shape.slice(1).join(',') + ']');
  }
  return s;
}
