// Seeded mutations for the hostile-input campaign (campaign.ts) and the decoder fuzz tests:
// a mulberry32 generator, byte-level mutators that reach binary formats' offsets and lengths,
// and text-level ones that reach a JSON parser's and an HTTP head parser's edge cases.

/** mulberry32: a case is reproducible from its seed on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

const EDGE_U32 = [0, 1, 3, 4, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff];

/** What the byte mutators need of a generator (the protocol tests bring their own). */
export type ByteRng = Pick<Rng, 'int' | 'u32' | 'bytes'>;

/** One byte-level mutation of `seed` (a fresh copy; `seed` is never written). */
export function mutateBytes(rng: ByteRng, seed: Uint8Array): Uint8Array {
  let b = seed.slice();
  if (b.length === 0) return rng.bytes(1 + rng.int(16));
  const dv = (): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (rng.int(7)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + rng.int(8); i < n; i++) b[rng.int(b.length)] = rng.u32() & 0xff;
      break;
    case 1: { // an aligned 32-bit word (offsets, lengths, vtable entries) to an edge value
      const p = rng.int(b.length >>> 2) << 2;
      if (p + 4 <= b.length) dv().setUint32(p, rng.int(2) ? EDGE_U32[rng.int(EDGE_U32.length)]! : rng.u32() % (b.length + 64), true);
      break;
    }
    case 2: { // a 16-bit word (vtable sizes and field offsets)
      const p = rng.int(b.length >>> 1) << 1;
      if (p + 2 <= b.length) dv().setUint16(p, rng.int(2) ? 0xffff : rng.u32() & 0xff, true);
      break;
    }
    case 3: // truncate
      b = b.slice(0, rng.int(b.length));
      break;
    case 4: { // append garbage
      const tail = rng.bytes(rng.int(64));
      const out = new Uint8Array(b.length + tail.length);
      out.set(b);
      out.set(tail, b.length);
      b = out;
      break;
    }
    case 5: { // nudge a 32-bit word a little: lengths and offsets just past the end
      const p = rng.int(b.length >>> 2) << 2;
      if (p + 4 <= b.length) dv().setUint32(p, (dv().getUint32(p, true) + rng.int(129) - 64) >>> 0, true);
      break;
    }
    default: { // copy a random region over another
      const len = rng.int(32);
      const from = rng.int(b.length);
      b.copyWithin(rng.int(b.length), from, from + len);
    }
  }
  return b;
}

/** Text that stresses a JSON parser or the request checks when spliced into a body. */
const JSON_SPLICES = [
  '{}', '[]', 'null', 'true', '-0', '1e309', '-1e309', '9007199254740993', '"\\u0000"', '"\\ud800"', '"\\', '\u00ff',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', '{"a":{"b":{"c":{"d":{}}}}}', '"__proto__"', '{"__proto__":{"x":1}}',
  '"shape":[4294967296,4294967296]', '"shape":[-1]', '"datatype":"FP128"', '"binary_data_size":99999999', ',,,', '::',
];

/** One text-level mutation of a JSON body: splice hostile tokens, repeat a slice, or a byte mutation. */
export function mutateJson(rng: Rng, seed: Uint8Array): Uint8Array {
  const kind = rng.int(4);
  if (kind === 0) return mutateBytes(rng, seed);
  const text = Buffer.from(seed).toString('latin1');
  const at = rng.int(text.length + 1);
  if (kind === 1) {
    const splice = rng.pick(JSON_SPLICES);
    const cut = rng.int(2) ? rng.int(8) : 0;
    return Buffer.from(text.slice(0, at) + splice + text.slice(at + cut), 'latin1');
  }
  if (kind === 2) { // repeat a slice many times (element floods, deep nesting)
    const len = 1 + rng.int(8);
    const piece = text.slice(at, at + len);
    return Buffer.from(text.slice(0, at) + piece.repeat(1 + rng.int(2000)) + text.slice(at), 'latin1');
  }
  // swap two numbers/strings' positions by copying a region
  return Buffer.from(text.slice(0, at) + text.slice(rng.int(text.length)), 'latin1');
}
