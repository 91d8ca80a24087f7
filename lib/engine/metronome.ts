import { Arena } from './arena';
import { synthClick } from './click';
import { EventRing } from './events';
import { Transport } from './transport';
import { Cmd, EngineOptions, EventType } from './types';
import { Kernels } from '../dsp';

// The metronome: the beat cursor (one Beat event per beat, at the frame it sounds), the click voice on
// its own bus, count-in, and tempo or bar changes that wait for their beat. Real-time side except the
// constructor: render() and applyDue() allocate nothing.

const f = Math.fround;
const NORMAL_CLICK_GAIN = 0.7;

export class Metronome {
  enabled: boolean;
  volume: number;
  /** bars of click before the first recording (Metronome.countIn) */
  readonly countInBars: number;
  /** whether the click is mixed into the output (it always reaches clickBus) */
  readonly inOutput: boolean;

  private readonly accentClick: number;
  private readonly accentClickFrames: number;
  private readonly normalClick: number;
  private readonly normalClickFrames: number;

  private nextBeat = 0;
  private nextBeatFrame = 0;
  private clickSample = 0;
  private clickFrames = 0;
  private clickPos = 0;
  private clickGain = 0;
  private clickInBlock = false;
  /** the click bus still holds an earlier block's click (it starts zeroed) */
  private clickBusDirty = false;
  /** the click sounds until this frame even when the metronome is off (count-in) */
  private countInUntil = -1;
  // Tempo or bar changes wait for their beat.
  private pendingTempoFrame = -1;
  private pendingTempoBeat = 0;
  private pendingBpm = 0;
  private pendingBarFrame = -1;
  private pendingBarBeat = 0;
  private pendingBeatsPerBar = 0;

  /** Control side: reserves the click samples in the arena (`reserve` throws when it is full). */
  constructor(
    options: EngineOptions,
    private readonly transport: Transport,
    private readonly events: EventRing,
    private readonly dsp: Kernels,
    arena: Arena,
    reserve: (floats: number) => number,
    /** arena offset of the click bus (maxBlockFrames stereo frames) */
    private readonly clickBus: number,
    private readonly maxBlockFrames: number,
  ) {
    this.enabled = options.metronome.enabled;
    this.volume = f(options.metronome.volume);
    this.countInBars = options.metronome.countInBars;
    this.inOutput = options.metronomeInOutput;
    const accent = options.metronome.accentSample ?? options.metronome.sample ?? synthClick(options.sampleRate, true);
    const normal = options.metronome.sample ?? synthClick(options.sampleRate, false);
    this.accentClick = reserve(accent.length);
    arena.memory.set(accent, this.accentClick);
    this.accentClickFrames = accent.length / 2;
    this.normalClick = reserve(normal.length);
    arena.memory.set(normal, this.normalClick);
    this.normalClickFrames = normal.length / 2;
    this.nextBeatFrame = transport.beatFrame(0);
  }

  /** The metronome's global commands, applied at frame t. */
  command(cmd: Cmd, t: number, value: number): void {
    switch (cmd) {
      case Cmd.Bpm: {
        const k = this.transport.beatAtOrAfter(t);
        this.pendingTempoBeat = k;
        this.pendingTempoFrame = this.transport.beatFrame(k);
        this.pendingBpm = value;
        break;
      }
      case Cmd.BeatsPerBar: {
        const k = this.transport.barBeatAtOrAfter(t);
        this.pendingBarBeat = k;
        this.pendingBarFrame = this.transport.beatFrame(k);
        this.pendingBeatsPerBar = value;
        break;
      }
      case Cmd.Downbeat: {
        // the next beat starts a bar (an external clock's downbeat): the bar grid moves, loops do not
        const k = this.transport.beatAtOrAfter(t);
        if (this.pendingBarFrame < 0) this.pendingBeatsPerBar = this.transport.beatsPerBar;
        this.pendingBarBeat = k;
        this.pendingBarFrame = this.transport.beatFrame(k);
        break;
      }
      case Cmd.Metronome:
        this.enabled = value !== 0;
        break;
      case Cmd.MetronomeVolume:
        this.volume = f(value);
        break;
    }
  }

  /**
   * A first recording waits for the count-in: the frame countInBars bars after the bar at or after
   * `from`. The click sounds until then even with the metronome off.
   */
  countIn(from: number): number {
    const bar = this.transport.barBeatAtOrAfter(from) + this.countInBars * this.transport.beatsPerBar;
    const at = this.transport.beatFrame(bar);
    this.countInUntil = at;
    return at;
  }

  /** Applies a tempo or bar change due at frame t. */
  applyDue(t: number): void {
    if (this.pendingTempoFrame >= 0 && this.pendingTempoFrame <= t) {
      this.transport.setTempoAtBeat(this.pendingTempoBeat, this.pendingBpm);
      this.pendingTempoFrame = -1;
      this.nextBeatFrame = this.transport.beatFrame(this.nextBeat);
      this.events.push(EventType.Tempo, 0, t, Math.round(this.transport.bpm * 1000), this.transport.beatsPerBar);
    }
    if (this.pendingBarFrame >= 0 && this.pendingBarFrame <= t) {
      this.transport.setBeatsPerBarAtBeat(this.pendingBarBeat, this.pendingBeatsPerBar);
      this.pendingBarFrame = -1;
      this.events.push(EventType.Tempo, 0, t, Math.round(this.transport.bpm * 1000), this.transport.beatsPerBar);
    }
  }

  /** The earlier of `next` and the frame of a waiting tempo or bar change. */
  nextSplit(next: number): number {
    if (this.pendingTempoFrame >= 0 && this.pendingTempoFrame < next) next = this.pendingTempoFrame;
    if (this.pendingBarFrame >= 0 && this.pendingBarFrame < next) next = this.pendingBarFrame;
    return next;
  }

  /** Before a block's segments: the click bus is only touched (and mixed) in blocks where a click sounds. */
  beginBlock(): void {
    this.clickInBlock = false;
  }

  /** Renders the click into the click bus over [a, b), pushing a Beat event at each beat. */
  render(a: number, b: number, blockStart: number): void {
    let t = a;
    while (this.nextBeatFrame < b) {
      this.renderClick(t, this.nextBeatFrame, blockStart);
      t = this.nextBeatFrame;
      const k = this.nextBeat;
      const inBar = this.transport.beatInBar(k);
      const audible = this.enabled || t < this.countInUntil;
      this.clickSample = inBar === 0 ? this.accentClick : this.normalClick;
      this.clickFrames = inBar === 0 ? this.accentClickFrames : this.normalClickFrames;
      this.clickPos = 0;
      this.clickGain = audible ? (inBar === 0 ? this.volume : f(this.volume * NORMAL_CLICK_GAIN)) : 0;
      this.events.push(EventType.Beat, 0, t, k, inBar);
      this.nextBeat = k + 1;
      this.nextBeatFrame = this.transport.beatFrame(k + 1);
    }
    this.renderClick(t, b, blockStart);
  }

  /** After a block's segments: mixes the click into `mixBus` (when inOutput), or clears a stale bus. */
  endBlock(mixBus: number, frames: number): void {
    if (this.clickInBlock) {
      this.clickBusDirty = true;
      if (this.inOutput) {
        this.dsp.args[0] = 1;
        this.dsp.addScaled(mixBus, this.clickBus, frames);
      }
    } else if (this.clickBusDirty) {
      // the first silent block after a click clears the bus, the next ones find it clear
      this.dsp.zero(this.clickBus, this.maxBlockFrames);
      this.clickBusDirty = false;
    }
  }

  private renderClick(a: number, b: number, blockStart: number): void {
    const n = Math.min(b - a, this.clickFrames - this.clickPos);
    if (n <= 0) return;
    if (this.clickGain !== 0) {
      if (!this.clickInBlock) this.dsp.zero(this.clickBus, this.maxBlockFrames);
      this.clickInBlock = true;
      this.dsp.args[0] = this.clickGain;
      this.dsp.addScaled(this.clickBus + (a - blockStart) * 2, this.clickSample + this.clickPos * 2, n);
    }
    this.clickPos += n;
  }
}
