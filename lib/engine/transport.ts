// Musical time. Beat k starts at frame originFrame + round((k - originBeat) * 60 * sampleRate / bpm):
// computed from k, never accumulated, so it never drifts. With no tempo change the origin is (0, 0)
// and this is round(k * 60 * sampleRate / bpm). A tempo change moves the origin to the
// beat where the new tempo starts; a beats-per-bar change moves the bar origin to a bar line.

export class Transport {
  bpm: number;
  beatsPerBar: number;
  private originFrame = 0;
  private originBeat = 0;
  private barOriginBeat = 0;
  private barOriginBar = 0;

  constructor(readonly sampleRate: number, bpm: number, beatsPerBar: number) {
    this.bpm = bpm;
    this.beatsPerBar = beatsPerBar;
  }

  beatFrame(k: number): number {
    return this.originFrame + Math.round(((k - this.originBeat) * 60 * this.sampleRate) / this.bpm);
  }

  /** The first beat index whose frame is >= frame (never before the current tempo's origin). */
  beatAtOrAfter(frame: number): number {
    const estimate = Math.floor(((frame - this.originFrame) * this.bpm) / (60 * this.sampleRate)) - 1;
    let k = this.originBeat + Math.max(0, estimate);
    while (this.beatFrame(k) < frame) k++;
    return k;
  }

  isBarStart(k: number): boolean {
    return this.beatInBar(k) === 0;
  }

  beatInBar(k: number): number {
    const d = k - this.barOriginBeat;
    return ((d % this.beatsPerBar) + this.beatsPerBar) % this.beatsPerBar;
  }

  barOf(k: number): number {
    return this.barOriginBar + Math.floor((k - this.barOriginBeat) / this.beatsPerBar);
  }

  /** The first bar line (as a beat index) at or after frame. */
  barBeatAtOrAfter(frame: number): number {
    const k = this.beatAtOrAfter(frame);
    const inBar = this.beatInBar(k);
    return inBar === 0 ? k : k + this.beatsPerBar - inBar;
  }

  /** A new tempo from beat k on (k's own frame is unchanged). */
  setTempoAtBeat(k: number, bpm: number): void {
    this.originFrame = this.beatFrame(k);
    this.originBeat = k;
    this.bpm = bpm;
  }

  /** A new bar length from beat k on, where a bar starts (a bar in progress there is cut short: downbeat). */
  setBeatsPerBarAtBeat(k: number, beatsPerBar: number): void {
    this.barOriginBar = this.barOf(k) + (this.isBarStart(k) ? 0 : 1);
    this.barOriginBeat = k;
    this.beatsPerBar = beatsPerBar;
  }
}
