// Level msgs at a rate a flow can use: the host reports peaks every few tens of ms; a node passes on
// the highest peak since its last msg, at most `ratePerSecond` times a second. Paced by the events
// themselves, so no timer is left behind.

export interface Levels {
  left: number;
  right: number;
}

export class LevelThrottle {
  private readonly intervalMs: number;
  private nextDueAt = -Infinity;
  private left = 0;
  private right = 0;

  /** ratePerSecond 0 turns level msgs off. */
  constructor(readonly ratePerSecond: number) {
    this.intervalMs = ratePerSecond > 0 ? 1000 / ratePerSecond : Infinity;
  }

  /** Adds a peak pair; returns the peaks held since the last msg when one is due at `now` (ms). */
  add(left: number, right: number, now: number): Levels | undefined {
    if (this.intervalMs === Infinity) return undefined;
    if (left > this.left) this.left = left;
    if (right > this.right) this.right = right;
    if (now < this.nextDueAt) return undefined;
    const levels = { left: this.left, right: this.right };
    // due times advance by the interval, not from `now`, so reports that arrive a little early still
    // give the full rate; once a whole interval behind it restarts from now rather than catch up in a burst
    const onSchedule = this.nextDueAt + this.intervalMs;
    this.nextDueAt = onSchedule > now ? onSchedule : now + this.intervalMs;
    this.left = 0;
    this.right = 0;
    return levels;
  }
}
