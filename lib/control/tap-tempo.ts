import { LIMITS } from '../engine/types';

// Tap tempo: the bpm of the median interval between the recent taps (up to MAX_TAPS). The median, not
// the mean: one late or doubled tap among eight leaves the tempo where the other taps put it. A pause
// longer than the slowest accepted tempo's beat (3 s at 20 bpm) starts a new series; the first tap of
// a series gives no tempo. Used by the metronome node's "tap" and OSC's tap_tempo.

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
    const intervals = this.taps.slice(1).map((t, i) => t - this.taps[i]).sort((a, b) => a - b);
    const mid = intervals.length >> 1;
    const medianMs = intervals.length % 2 === 1 ? intervals[mid] : (intervals[mid - 1] + intervals[mid]) / 2;
    const bpm = Math.round((60000 / medianMs) * 10) / 10;
    return Math.min(LIMITS.bpm[1], Math.max(LIMITS.bpm[0], bpm));
  }
}
