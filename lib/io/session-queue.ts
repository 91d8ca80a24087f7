// The engine host's session requests (save, load, list, export, import, ...) run one at a time: a save
// during a load would snapshot half a session. Each has a deadline, so one that never ends (a file
// system that stopped answering, a network share gone away) fails with a message that says so instead
// of holding every later request back for good: the queue moves on at the deadline, and the late one's
// result, if it ever comes, is dropped.

export interface QueueTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: QueueTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Deadlines by request: an export renders (up to an hour of audio), the rest only read and link files. */
export const SESSION_TIMEOUTS_MS: Readonly<Record<string, number>> = { export: 300000, default: 60000 };

export class SessionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly timeouts: Readonly<Record<string, number>> = SESSION_TIMEOUTS_MS, private readonly timers: QueueTimers = realTimers) {}

  /** Runs `task` after the requests queued before it; rejects when it has not settled within its deadline. */
  run<T>(what: string, task: () => Promise<T>): Promise<T> {
    const ms = this.timeouts[what] ?? this.timeouts.default;
    const run = this.tail.then(() => new Promise<T>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        reject(new Error(`${what}: no answer within ${ms / 1000} s (the session folder's disk may have stopped answering); later requests go on`));
      }, ms);
      task().then(resolve, reject).finally(() => this.timers.clearTimeout(timer));
    }));
    this.tail = run.catch(() => undefined);
    return run;
  }
}
