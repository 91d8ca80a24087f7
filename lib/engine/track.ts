import { State } from './types';

// A track's state, in fields the real-time side mutates in place. Behaviour lives in Engine.

const f = Math.fround;

/** One reader of a loop region, with a linear gain ramp from its current gain to a target. */
export class Voice {
  loop = 0;
  len = 0;
  /** the loop's position at frame t is (t - anchor) mod len */
  anchor = 0;
  active = false;
  gl = 0;
  gr = 0;
  tl = 0;
  tr = 0;
  startL = 0;
  startR = 0;
  stepL = 0;
  stepR = 0;
  rampLen = 0;
  rampPos = 0;
  /** a ghost that fades out a cleared loop frees it when the fade ends */
  ownedFloats = 0;

  /** Ramps the gains to (tl, tr) over `frames` (0 = at once). */
  setTarget(tl: number, tr: number, frames: number): void {
    this.tl = f(tl);
    this.tr = f(tr);
    if (frames <= 0 || (this.gl === this.tl && this.gr === this.tr)) {
      this.gl = this.tl;
      this.gr = this.tr;
      this.rampLen = 0;
      return;
    }
    this.startL = this.gl;
    this.startR = this.gr;
    this.stepL = f((this.tl - this.gl) / frames);
    this.stepR = f((this.tr - this.gr) / frames);
    this.rampLen = frames;
    this.rampPos = 0;
  }

  /** Advances the ramp by n rendered frames; at its end the gain is exactly the target. */
  advanceRamp(n: number): void {
    this.rampPos += n;
    if (this.rampPos >= this.rampLen) {
      this.gl = this.tl;
      this.gr = this.tr;
      this.rampLen = 0;
    } else {
      this.gl = f(this.startL + f(this.stepL * f(this.rampPos)));
      this.gr = f(this.startR + f(this.stepR * f(this.rampPos)));
    }
  }

  get silent(): boolean {
    return this.rampLen === 0 && this.gl === 0 && this.gr === 0;
  }

  copyFrom(v: Voice): void {
    this.loop = v.loop;
    this.len = v.len;
    this.anchor = v.anchor;
    this.active = v.active;
    this.gl = v.gl;
    this.gr = v.gr;
    this.tl = v.tl;
    this.tr = v.tr;
    this.startL = v.startL;
    this.startR = v.startR;
    this.stepL = v.stepL;
    this.stepR = v.stepR;
    this.rampLen = v.rampLen;
    this.rampPos = v.rampPos;
    this.ownedFloats = 0;
  }
}

/** Write-side modes (record, overdub and multiply run `inputLatencyFrames` behind the play side). */
export const enum WriteMode { None = 0, Record = 1, Overdub = 2, Multiply = 3 }
export const enum WriteOp { StartRecord = 0, EndRecord = 1, StartOverdub = 2, EndOverdub = 3, StartMultiply = 4, EndMultiply = 5 }

/** A pending action's target is a State, with this bit when it restarts the loop (retrigger). */
export const RETRIGGER = 0x100;
export const STATE_MASK = 0xff;

/** The write side's progress in the pass in progress (Engine.writeProgress). */
export interface WriteProgress {
  mode: WriteMode;
  /** arena offset of the region being written, -1 when none */
  loop: number;
  /** loop length in frames for an overdub; 0 for a recording (it grows from position 0) */
  len: number;
  /** loop position of the pass's first written frame */
  startPos: number;
  /** frames written since the pass began */
  framesWritten: number;
  /** the engine frame at which the pass began writing: with the track, it names the pass */
  began: number;
}

export const MAX_LAYERS = 1024;
export const MAX_PENDING = 4;
const MAX_WRITE_OPS = 8;

export class Track {
  state: State = State.Empty;
  readonly main = new Voice();
  readonly ghost = new Voice();

  // Undo layers: each record or overdub pass is a region of the arena.
  readonly layerLoop = new Float64Array(MAX_LAYERS);
  readonly layerLen = new Float64Array(MAX_LAYERS);
  readonly layerAnchor = new Float64Array(MAX_LAYERS);
  /** unique within the engine's life: a saver tells a new pass from an old one in a reused region */
  readonly layerId = new Float64Array(MAX_LAYERS);
  layerCount = 0;
  /** the layer playing now; -1 when empty */
  layerIndex = -1;

  // The recording or multiply pass in progress (play side): its region, capacity and first frame.
  recLoop = -1;
  recCapacityFrames = 0;
  recStart = 0;
  /** multiply: the loop grows by whole multiples of this (frames) */
  mulUnit = 0;
  /** one-shot: the frame it stops at, -1 when not playing once */
  oneShotEnd = -1;
  // A transform's new layer being filled a chunk per block ahead of where it plays (Engine.transform):
  // the Cmd (reverse, half, double; -1 = none), the source layer, the new region, its anchor, the next
  // frame to fill (wrapping) and how many are left. It joins the undo layers once complete.
  fillCmd = -1;
  fillSrc = 0;
  fillSrcLen = 0;
  fillDst = 0;
  fillLen = 0;
  fillAnchor = 0;
  fillNext = 0;
  fillLeft = 0;

  // Mixer.
  volume = 1;
  pan = 0;
  muted = false;
  soloed = false;

  // Quantized actions waiting for their boundary, in frame order: the target State and its frame.
  readonly pendTarget = new Int32Array(MAX_PENDING);
  readonly pendFrame = new Float64Array(MAX_PENDING);
  pendCount = 0;

  // Write side.
  writeMode: WriteMode = WriteMode.None;
  wLoop = 0;
  wLen = 0;
  wAnchor = 0;
  wStart = 0;
  /** the frame at which the write side began the pass in progress */
  wBegin = 0;
  /** a replace pass: the old content goes (feedback 0) where the input is written */
  wReplace = false;
  /** multiply: the loop whose content the growing layer repeats (region, length, anchor) */
  wSrc = 0;
  wSrcLen = 0;
  wSrcAnchor = 0;
  /** input weight of the overdub write (0..1), ramped at the overdub edges */
  w = 0;
  wTarget = 0;
  wFrom = 0;
  wStep = 0;
  wRampLen = 0;
  wRampPos = 0;
  readonly opFrame = new Float64Array(MAX_WRITE_OPS);
  readonly opKind = new Int32Array(MAX_WRITE_OPS);
  readonly opA = new Float64Array(MAX_WRITE_OPS);
  readonly opB = new Float64Array(MAX_WRITE_OPS);
  readonly opC = new Float64Array(MAX_WRITE_OPS);
  opCount = 0;

  constructor(
    /** 1-based */
    readonly number: number,
    /** arena offset of this track's pre-roll (crossfadeFrames frames) */
    readonly preroll: number,
    /** arena offset of this track's stem bus, or -1 */
    readonly stem: number,
  ) {}

  get hasLoop(): boolean {
    return this.layerIndex >= 0;
  }

  pushOp(frame: number, kind: WriteOp, a: number, b: number, c: number): boolean {
    if (this.opCount === MAX_WRITE_OPS) return false;
    const i = this.opCount++;
    this.opFrame[i] = frame;
    this.opKind[i] = kind;
    this.opA[i] = a;
    this.opB[i] = b;
    this.opC[i] = c;
    return true;
  }

  shiftOp(): void {
    this.opFrame.copyWithin(0, 1, this.opCount);
    this.opKind.copyWithin(0, 1, this.opCount);
    this.opA.copyWithin(0, 1, this.opCount);
    this.opB.copyWithin(0, 1, this.opCount);
    this.opC.copyWithin(0, 1, this.opCount);
    this.opCount--;
  }

  hasOp(kind: WriteOp): boolean {
    for (let i = 0; i < this.opCount; i++) if (this.opKind[i] === kind) return true;
    return false;
  }

  shiftPending(): void {
    this.pendTarget.copyWithin(0, 1, this.pendCount);
    this.pendFrame.copyWithin(0, 1, this.pendCount);
    this.pendCount--;
  }

  /** The state once every pending action has happened. */
  expectedState(): State {
    return this.pendCount > 0 ? ((this.pendTarget[this.pendCount - 1] & STATE_MASK) as State) : this.state;
  }
}
