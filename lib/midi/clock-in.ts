import { PPQN, TICKS_PER_SPP } from './messages';

// Following an external MIDI clock, as a pure class fed with the arrival time (ms, any monotonic clock)
// of each message. USB and DIN MIDI deliver ticks with a millisecond or two of jitter, so the tempo is
// not taken from one interval but from a least-squares line through the recent ticks (time = a + p *
// tick): the slope p is the tick period, and the line also says when each external beat falls, which is
// what phase locking needs. A tempo jump shows as residuals that keep one sign and grow: after
// JUMP_TICKS of them beyond the noise, the window restarts from the ticks after the jump, so the new
// tempo is found within a few ticks instead of after a whole window.
//
// Song position: the first tick after Start is tick 0 (the downbeat of song position 0); a song
// position pointer before Continue sets where the next tick is.

export interface FollowerOptions {
  /** ticks in the regression window (default 48: two beats) */
  windowTicks?: number;
  /** ticks a tempo estimate needs before it is reported (default 6: a 16th) */
  minTicks?: number;
}

/** Residuals beyond this many times the noise level, in a row and of one sign, mean a tempo change. */
const JUMP_SIGMAS = 4;
const JUMP_TICKS = 3;
/** The noise level never counts as less than this (ms): a perfect clock must not see jumps in rounding. */
const MIN_NOISE_MS = 0.25;
/** A gap of this many tick periods means the clock stopped without a Stop: start over. */
const DROPOUT_PERIODS = 8;

export class MidiClockFollower {
  readonly windowTicks: number;
  readonly minTicks: number;
  private running = false;
  /** ticks received since this follower was made: the regression's x axis, never reset */
  private received = 0;
  /** song position (ticks) = received - songOffset, for ticks while running */
  private songOffset = 0;
  private readonly k: number[] = [];
  private readonly t: number[] = [];
  private noise = 1;
  private outliers = 0;
  private outlierSign = 0;
  /** fit: time = a + p * (received tick index) */
  private a = 0;
  private p = 0;
  /** tempo jumps seen (a report for the node's status and the tests) */
  jumps = 0;

  constructor(o: FollowerOptions = {}) {
    this.windowTicks = o.windowTicks ?? 48;
    this.minTicks = o.minTicks ?? 6;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The external tempo (bpm) once enough ticks came, else undefined. */
  get bpm(): number | undefined {
    return this.k.length >= this.minTicks && this.p > 0 ? 60000 / (PPQN * this.p) : undefined;
  }

  /** The song position in ticks (of the next tick). */
  get ticks(): number {
    return this.received - this.songOffset;
  }

  start(): void {
    this.running = true;
    this.songOffset = this.received;
  }

  /** Song position pointer: the next tick is at `sixteenths` 16th notes. */
  position(sixteenths: number): void {
    this.songOffset = this.received - sixteenths * TICKS_PER_SPP;
  }

  continue(): void {
    this.running = true;
  }

  stop(): void {
    this.running = false;
  }

  /** A clock tick that arrived at time `at` (ms). Ticks while stopped train the tempo but do not move the song. */
  clock(at: number): void {
    const n = this.k.length;
    if (n > 0 && this.p > 0 && at - this.t[n - 1] > DROPOUT_PERIODS * this.p) this.reset();
    const index = this.received++;
    if (!this.running) this.songOffset++;
    if (this.k.length >= this.minTicks && this.p > 0) this.checkJump(index, at);
    this.k.push(index);
    this.t.push(at);
    if (this.k.length > this.windowTicks) {
      this.k.shift();
      this.t.shift();
    }
    this.fit();
  }

  /** When (ms) the tick at song position `tick` falls, on the current fit. */
  tickTime(tick: number): number {
    return this.a + this.p * (tick + this.songOffset);
  }

  /** The external beat (fractional, from song position 0) at time `at`, once the tempo is known. */
  beatAt(at: number): number | undefined {
    return this.bpm === undefined ? undefined : ((at - this.a) / this.p - this.songOffset) / PPQN;
  }

  /**
   * Phase error of one of our beats heard at `at` (ms) against the nearest external beat, in ms:
   * positive when ours comes late. Undefined until the tempo is known.
   */
  phaseErrorMs(at: number): number | undefined {
    const b = this.beatAt(at);
    return b === undefined ? undefined : (b - Math.round(b)) * this.p * PPQN;
  }

  private checkJump(index: number, at: number): void {
    const r = at - (this.a + this.p * index);
    const limit = JUMP_SIGMAS * Math.max(MIN_NOISE_MS, this.noise);
    if (Math.abs(r) > limit) {
      const sign = Math.sign(r);
      this.outliers = sign === this.outlierSign ? this.outliers + 1 : 1;
      this.outlierSign = sign;
      if (this.outliers >= JUMP_TICKS) {
        // keep only the ticks after the change (the outliers before this one); this one is added next
        const keep = JUMP_TICKS - 1;
        this.k.splice(0, this.k.length - keep);
        this.t.splice(0, this.t.length - keep);
        this.outliers = 0;
        this.jumps++;
      }
      return;
    }
    this.outliers = 0;
    // the noise level follows the residuals that fit (an exponential average of |r|)
    this.noise += (Math.abs(r) - this.noise) / 16;
  }

  private fit(): void {
    const n = this.k.length;
    if (n < 2) return;
    let mk = 0;
    let mt = 0;
    for (let i = 0; i < n; i++) {
      mk += this.k[i];
      mt += this.t[i];
    }
    mk /= n;
    mt /= n;
    let skk = 0;
    let skt = 0;
    for (let i = 0; i < n; i++) {
      const dk = this.k[i] - mk;
      skk += dk * dk;
      skt += dk * (this.t[i] - mt);
    }
    this.p = skt / skk;
    this.a = mt - this.p * mk;
  }

  private reset(): void {
    this.k.length = 0;
    this.t.length = 0;
    this.outliers = 0;
    this.noise = 1;
  }
}

/**
 * The tempo to give the engine so its beats close in on the external ones: the external tempo, nudged
 * by `gain` of the phase error per beat (at most ±maxNudge), since a new tempo starts on the next beat.
 */
export function lockedBpm(externalBpm: number, phaseErrorMs: number, gain = 0.5, maxNudge = 0.02): number {
  const beatMs = 60000 / externalBpm;
  const nudge = Math.max(-maxNudge, Math.min(maxNudge, (gain * phaseErrorMs) / beatMs));
  return externalBpm * (1 + nudge);
}
