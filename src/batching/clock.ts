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
