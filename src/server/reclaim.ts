// Memory that clients abandon. A client that disconnects mid-body or mid-compute leaves its body
// buffer (pre-sized from Content-Length) and its tensors as garbage, but on a server that then
// goes quiet nothing makes V8 collect them: after 200 aborts mid-body and 200 mid-compute, RSS
// stayed ~180 MiB above baseline for good (issue 16). So the bytes of aborted exchanges are
// counted, and once RECLAIM_AFTER_BYTES have been abandoned, one full collection runs
// RECLAIM_QUIET_MS after the last abort (a storm costs one pause, after it, not one per abort),
// late enough that the batch buffer pool has dropped the buffers the storm left idle.
// The pause is a full GC of the HTTP thread's heap: milliseconds to tens of milliseconds, paid
// only after such a storm. Memory glibc keeps in its arenas for reuse (chunks under its mmap
// threshold) is not returned by this; see the README's "Hostile input and faults".
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const RECLAIM_AFTER_BYTES = 64 * 1024 * 1024;
// After the batch buffer pool has let its idle buffers go (IDLE_TRIM_MS, src/core/buffer-pool.ts).
const RECLAIM_QUIET_MS = 3000;

let collect: (() => void) | undefined;

export class Reclaimer {
  #abandonedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Collections run so far (for tests and metrics). */
  collections = 0;

  /** An exchange ended with its client gone; `bytes` is what it had announced or read. */
  noteAbandoned(bytes: number): void {
    this.#abandonedBytes += bytes;
    if (this.#abandonedBytes < RECLAIM_AFTER_BYTES) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#run(), RECLAIM_QUIET_MS);
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = undefined;
    this.#abandonedBytes = 0;
    if (collect === undefined) {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
    collect();
    this.collections++;
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
