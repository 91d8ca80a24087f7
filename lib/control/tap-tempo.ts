import { LIMITS } from '../engine/types';

// Tap tempo: the bpm of the mean interval between recent taps. A pause longer than the slowest
// accepted tempo's beat starts a new series; the first tap of a series gives no tempo.

const MAX_TAPS = 8;

export class TapTempo {
  private taps: number[] = [];
  private readonly maxGapMs = 60000 / LIMITS.bpm[0];

  /** Registers a tap at `now` (ms); returns the bpm once there are two taps, clamped to the engine's range. */
  tap(now: number): number | undefined {
    const last = this.taps[this.taps.length - 1];
    if (last !== undefined && (now - last > this.maxGapMs || now <= last)) this.taps = [];
    this.taps.push(now);
    if (this.taps.length > MAX_TAPS) this.taps.shift();
    if (this.taps.length < 2) return undefined;
    const meanMs = (now - this.taps[0]) / (this.taps.length - 1);
    const bpm = Math.round((60000 / meanMs) * 10) / 10;
    return Math.min(LIMITS.bpm[1], Math.max(LIMITS.bpm[0], bpm));
  }
}
