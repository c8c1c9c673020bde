// Sub-millisecond wake-ups for the open loop, without spinning a core. libuv timers have 1 ms
// resolution, so an open loop at thousands of requests/s would either send up to 1 ms late
// (and count that lateness as server latency) or spin on setImmediate, burning a whole core
// that the server under test needs when both share a 2-core machine.
//
// A worker thread walks a ring of upcoming wake-up times that the main thread fills ahead of
// time (the open-loop schedule is known in advance). For each it sleeps in Atomics.wait (a
// futex with a fractional-ms timeout) and then posts a message, which wakes the main event loop.
// Filling the ring needs no notify (no cross-core wake-up per request) except when the worker
// has run dry. The worker fires `leadMs` early, learnt from how late its messages arrive, so
// that the main thread runs about on time; the caller then sends what is due within `leadMs`
// (never spinning: on 2 shared cores a spinning client steals the server's CPU). The runner
// counts latency from the earlier of the intended and the actual send, so sending a few
// microseconds early never flatters the server; lateness is reported as `scheduleLagUs`.
import { Worker } from 'node:worker_threads';

const RING = 4096;
// Shared layout (bytes): [0, 8 * RING) Float64 ring of wake times on process.hrtime's clock (ms);
// then Int32 words: [W_WRITE] times written (count), [W_STOP] 1 = stop, [W_READ] times the
// worker has passed; then Float64 lead (ms).
// process.hrtime is one monotonic clock for every thread; performance.now() has a per-thread origin.
const I32_BASE = RING * 8;
const W_WRITE = 0;
const W_STOP = 1;
const W_READ = 2;
const LEAD_OFFSET = I32_BASE + 16;
const BYTES = LEAD_OFFSET + 8;

const hrMs = (): number => Number(process.hrtime.bigint()) / 1e6;

const WORKER_SOURCE = `
const { parentPort, workerData: sab } = require('node:worker_threads');
const RING = ${RING};
const ring = new Float64Array(sab, 0, RING);
const words = new Int32Array(sab, ${I32_BASE}, 3);
const lead = new Float64Array(sab, ${LEAD_OFFSET}, 1);
const now = () => Number(process.hrtime.bigint()) / 1e6;
let read = 0;
for (;;) {
  if (Atomics.load(words, ${W_STOP}) === 1) break;
  const written = Atomics.load(words, ${W_WRITE});
  if (read >= written) { Atomics.wait(words, ${W_WRITE}, written); continue; }
  const target = ring[read % RING] - lead[0];
  const wait = target - now();
  if (wait > 0.005) { Atomics.wait(words, ${W_STOP}, 0, wait); continue; }
  read++;
  // Several times already due (a slow wake-up): one message covers them all.
  while (read < Atomics.load(words, ${W_WRITE}) && ring[read % RING] - lead[0] <= now()) read++;
  Atomics.store(words, ${W_READ}, read);
  parentPort.postMessage(0);
}
`;

export class PreciseTimer {
  private readonly shared = new SharedArrayBuffer(BYTES);
  private readonly ring = new Float64Array(this.shared, 0, RING);
  private readonly words = new Int32Array(this.shared, I32_BASE, 3);
  private readonly lead = new Float64Array(this.shared, LEAD_OFFSET, 1);
  private readonly worker: Worker;
  /** hrtime ms minus performance.now() ms: both monotonic, so the offset is constant. */
  private readonly offsetMs = hrMs() - performance.now();
  private written = 0;
  /** Wake times not yet passed (performance.now() ms), oldest first, for the spin and the lead. */
  private readonly pending: number[] = [];
  private pendingHead = 0;

  /** `onWake` runs (on the main thread) about `leadMs` before each time given to `add`, or later. */
  constructor(private readonly onWake: () => void) {
    this.lead[0] = 0.05;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.shared });
    this.worker.on('message', () => this.arrived());
    this.worker.unref();
  }

  /** Wake times queued and not yet passed. */
  get queued(): number {
    return this.pending.length - this.pendingHead;
  }

  /** Slots add() may still fill: the worker thread can lag behind `queued` when it is starved
   *  of CPU (an overloaded machine), and add() must never lap it. */
  get room(): number {
    return RING - (this.written - Atomics.load(this.words, W_READ));
  }

  /** How early the worker fires (ms): the mean delay of its message hop, at most 0.2 ms. */
  get leadMs(): number {
    return this.lead[0]!;
  }

  /** Appends a wake-up time (performance.now() ms, not earlier than the last one added). */
  add(atMs: number): void {
    // The worker may still be reading the oldest unread slot: never overwrite it.
    if (this.written - Atomics.load(this.words, W_READ) >= RING) throw new Error('PreciseTimer ring is full');
    this.ring[this.written % RING] = atMs + this.offsetMs;
    this.pending.push(atMs);
    const before = this.written++;
    Atomics.store(this.words, W_WRITE, this.written);
    // Only a worker that has passed every earlier time may be waiting for work: wake it. (If it
    // is just about to wait, its wait sees W_WRITE changed and returns at once.)
    if (Atomics.load(this.words, W_READ) >= before) Atomics.notify(this.words, W_WRITE);
  }

  close(): void {
    Atomics.store(this.words, W_STOP, 1);
    Atomics.notify(this.words, W_STOP);
    Atomics.notify(this.words, W_WRITE);
    void this.worker.terminate();
  }

  private arrived(): void {
    const now = performance.now();
    if (this.queued > 0) {
      // How late this message came relative to when the worker meant to fire for the oldest time.
      const late = now - (this.pending[this.pendingHead]! - this.lead[0]!);
      if (late >= 0 && late < 2) this.lead[0] = Math.min(0.2, this.lead[0]! * 0.9 + late * 0.1);
    }
    const horizon = now + this.lead[0]!;
    while (this.queued > 0 && this.pending[this.pendingHead]! <= horizon) this.pendingHead++;
    if (this.pendingHead > 4096) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    this.onWake();
  }
}
