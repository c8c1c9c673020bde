// Unload announcements: how every worker thread comes to drop its handle on a model's session.
//
// The id goes out at once on the model channel (channel.ts). A worker reads channel messages
// only while its event loop runs, and an idle worker sleeps in Atomics.wait, so a flush round
// then gives every worker one flush task: each waits at a barrier until all workers hold one
// (so no worker takes two), then yields to its event loop, where the messages are taken.
//
// Rounds run one at a time, and every announcement made before a round starts shares it: 100
// concurrent unloads cost one or two rounds, not 100. Rounds must not overlap: two rounds' flush
// tasks spread over the workers would each wait at their barrier for workers held by the other,
// until the worker's deadline (5 s). Before rounds, SIGTERM with no traffic took 5 s per four
// models, and 100 concurrent unloads took 20 s, most failing for queue space.
import { BroadcastChannel } from 'node:worker_threads';
import { MODEL_CHANNEL, type ModelChannelMessage } from './channel.js';
import type { FlushTask } from './task.js';
import type { WorkerPool } from './pool.js';

export class UnloadRounds {
  readonly #pool: WorkerPool;
  readonly #channel: BroadcastChannel;
  /** The round not yet started, which every new announcement joins. */
  #next: Promise<void> | undefined;
  /** The latest round started or scheduled; settles when it ends (never rejects). */
  #tail: Promise<void> = Promise.resolve();
  #rounds = 0;

  constructor(pool: WorkerPool) {
    this.#pool = pool;
    // An open channel keeps the process alive; unref it.
    this.#channel = new BroadcastChannel(MODEL_CHANNEL);
    this.#channel.unref();
  }

  /** Flush rounds run so far (for tests: concurrent announcements share rounds). */
  get rounds(): number {
    return this.#rounds;
  }

  /** Tells every worker to drop its handle on model `id`; resolves once each has had the
   *  chance to (after the next flush round). Rejects if a flush task fails. */
  announce(id: string): Promise<void> {
    const msg: ModelChannelMessage = { kind: 'unload', id };
    this.#channel.postMessage(msg);
    if (this.#next !== undefined) return this.#next;
    const round = this.#tail.then(() => {
      // From here on, announcements need the round after this one: their messages may be
      // posted after this round's flush tasks reach the workers.
      this.#next = undefined;
      return this.#flushRound();
    });
    this.#next = round;
    this.#tail = round.catch(() => undefined);
    return round;
  }

  close(): void {
    this.#channel.close();
  }

  async #flushRound(): Promise<void> {
    this.#rounds++;
    const parties = this.#pool.workers;
    const flush: FlushTask = { kind: 'flush', barrier: new SharedArrayBuffer(4), parties };
    await Promise.all(Array.from({ length: parties }, () => this.#pool.runControl(flush)));
  }
}
