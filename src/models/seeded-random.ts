// A tiny seeded PRNG (mulberry32) for generated fixtures and demo model weights.
// Why not Math.random: fixtures and the demo models must be byte-identical across runs and
// machines, so every random number comes from an explicit 32-bit seed.
// Not for cryptography; 2^32 period is plenty for ~10M weights.

export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError('seed must be an integer');
    this.state = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0) throw new RangeError('bound must be a positive integer');
    return Math.floor(this.next() * bound);
  }

  /** Fills `out` with uniform floats in [low, high) and returns it. */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low: number, high: number): T {
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * (this.nextUint32() / 4294967296);
    return out;
  }
}
