// The batcher's only view of time. Injected so tests drive it by hand (FakeClock in
// test/batching/helpers.ts) and so decide() can stay a pure function of `now`.

export interface Clock {
  /** Monotonic microseconds (any origin). */
  nowUs(): number;
  /** Calls `fn` once, about `delayUs` from now; never synchronously inside setTimer. */
  setTimer(fn: () => void, delayUs: number): unknown;
  /** Cancels a timer from setTimer; a no-op for one that already fired. */
  clearTimer(handle: unknown): void;
}

export interface SystemClockOptions {
  /**
   * Node timers have 1 ms granularity. With subMsSpin (default true) the remainder under 1 ms
   * is waited by re-checking once per event-loop turn (setImmediate): accurate to a few us,
   * and incoming I/O is still served in between, but the main thread stays busy for that
   * remainder. Off: waits are rounded up to whole milliseconds.
   */
  subMsSpin?: boolean;
}

interface SystemTimer {
  cancelled: boolean;
  timeout: ReturnType<typeof setTimeout> | undefined;
  immediate: ReturnType<typeof setImmediate> | undefined;
}

const nowUs = (): number => performance.now() * 1000;

export function createSystemClock(opts: SystemClockOptions = {}): Clock {
  const spin = opts.subMsSpin ?? true;
  return {
    nowUs,
    setTimer(fn: () => void, delayUs: number): unknown {
      const targetUs = nowUs() + Math.max(0, delayUs);
      const h: SystemTimer = { cancelled: false, timeout: undefined, immediate: undefined };
      const step = (): void => {
        h.timeout = undefined;
        h.immediate = undefined;
        if (h.cancelled) return;
        const remUs = targetUs - nowUs();
        if (remUs <= 0) fn();
        else schedule(remUs);
      };
      const schedule = (remUs: number): void => {
        if (remUs >= 1000) h.timeout = setTimeout(step, Math.floor(remUs / 1000));
        else if (spin) h.immediate = setImmediate(step);
        else h.timeout = setTimeout(step, 1);
      };
      schedule(targetUs - nowUs());
      return h;
    },
    clearTimer(handle: unknown): void {
      const h = handle as SystemTimer | undefined;
      if (h === undefined || h.cancelled) return;
      h.cancelled = true;
      if (h.timeout !== undefined) clearTimeout(h.timeout);
      if (h.immediate !== undefined) clearImmediate(h.immediate);
    },
  };
}

export const systemClock: Clock = createSystemClock();

/** The batcher's one timer: armed for the wake time decide() asks for, re-armed only when a
 *  sooner wake is needed; a stale later timer just fires, re-decides and re-arms. */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #handle: unknown = undefined;
  #wakeUs = 0;

  constructor(clock: Clock, onWake: () => void) {
    this.#clock = clock;
    this.#onWake = onWake;
  }

  /** Wakes at `wakeUs` at the latest; false when an armed timer already fires no later. */
  arm(nowUs: number, wakeUs: number): boolean {
    if (this.#handle !== undefined) {
      if (this.#wakeUs <= wakeUs) return false;
      this.#clock.clearTimer(this.#handle);
    }
    this.#wakeUs = wakeUs;
    this.#handle = this.#clock.setTimer(() => {
      this.#handle = undefined;
      this.#onWake();
    }, wakeUs - nowUs);
    return true;
  }

  disarm(): void {
    if (this.#handle === undefined) return;
    this.#clock.clearTimer(this.#handle);
    this.#handle = undefined;
  }
}
