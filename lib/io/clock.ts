import { performance } from 'perf_hooks';

// Time and timers as a dependency, so what paces or delays itself (the null backend's blocks, the
// engine connection's restart backoff and stop deadline) can run on a manual clock in tests. Times
// are ms on a monotonic clock.

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; undefined or a timer that already ran is fine. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** performance.now() and the event loop's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};
