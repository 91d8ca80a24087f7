import { Quantize, State } from './types';

// A track's state, in fields the real-time side mutates in place. Behaviour lives in the engine and its
// parts (transitions, write side, layers, transforms, gains).

const f = Math.fround;

/** a mod n in [0, n), for loop positions of frames before a loop's anchor. */
export function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/** One reader of a loop region, with a linear gain ramp from its current gain to a target. */
export class Voice {
  loop = 0;
  len = 0;
  /** the loop's position at frame t is (t - anchor) mod len */
  anchor = 0;
  active = false;
  /** current gains, left and right */
  gl = 0;
  gr = 0;
  /** the gains the ramp ends at */
  targetL = 0;
  targetR = 0;
  startL = 0;
  startR = 0;
  stepL = 0;
  stepR = 0;
  rampLen = 0;
  rampPos = 0;
  /** a ghost that fades out a cleared loop frees it when the fade ends */
  ownedFloats = 0;

  /** Reads `len` frames at arena offset `loop`, position 0 at frame `anchor` (gains unchanged). */
  setLoop(loop: number, len: number, anchor: number): void {
    this.loop = loop;
    this.len = len;
    this.anchor = anchor;
    this.active = true;
  }

  /** Ramps the gains to (left, right) over `frames` (0 = at once). */
  setTarget(left: number, right: number, frames: number): void {
    this.targetL = f(left);
    this.targetR = f(right);
    if (frames <= 0 || (this.gl === this.targetL && this.gr === this.targetR)) {
      this.gl = this.targetL;
      this.gr = this.targetR;
      this.rampLen = 0;
      return;
    }
    this.startL = this.gl;
    this.startR = this.gr;
    this.stepL = f((this.targetL - this.gl) / frames);
    this.stepR = f((this.targetR - this.gr) / frames);
    this.rampLen = frames;
    this.rampPos = 0;
  }

  /** Advances the ramp by n rendered frames; at its end the gain is exactly the target. */
  advanceRamp(n: number): void {
    this.rampPos += n;
    if (this.rampPos >= this.rampLen) {
      this.gl = this.targetL;
      this.gr = this.targetR;
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
    this.targetL = v.targetL;
    this.targetR = v.targetR;
    this.startL = v.startL;
    this.startR = v.startR;
    this.stepL = v.stepL;
    this.stepR = v.stepR;
    this.rampLen = v.rampLen;
    this.rampPos = v.rampPos;
    this.ownedFloats = 0;
  }
}

/**
 * Write-side modes (record, overdub, multiply and insert run `inputLatencyFrames` behind the play side).
 * Insert writes the input as a recording does, into the middle of its region; a session writer does
 * not capture it as a pass (the grown layer is saved once complete).
 */
export const enum WriteMode { None = 0, Record = 1, Overdub = 2, Multiply = 3, Insert = 4 }
/**
 * Operations the play side queues for the write side (Track.pushOp), each with a region (arena offset),
 * a length in frames and an anchor (the play-side frame of the loop's position 0), where it uses them:
 * StartRecord (region, capacity, anchor), EndRecord (region, length), StartOverdub and StartReplace
 * (none: the pass copies the current layer), EndOverdub (none), StartMultiply (region, capacity,
 * anchor), EndMultiply (region, length, anchor), EndMultiplyInput (none: a multiply hit again takes
 * no more input but fills its last cycle with the loop), StartInsert (region, capacity, anchor: the
 * input lands at position t - anchor, like a recording's), EndInsert (none: the inserted input ends).
 */
export const enum WriteOp {
  StartRecord = 0, EndRecord = 1, StartOverdub = 2, EndOverdub = 3, StartMultiply = 4, EndMultiply = 5, StartReplace = 6,
  EndMultiplyInput = 7, StartInsert = 8, EndInsert = 9,
}

/** A pending action's target is a State, with this bit when it restarts the loop (retrigger)... */
export const RETRIGGER = 0x100;
/** ...and this one when a stop is a pause: the loop stands still and plays on from there. */
export const PAUSE = 0x200;
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
  /** multiply and insert: the loop grows by whole multiples of this (frames) */
  mulUnit = 0;
  /**
   * a multiply hit again: the frame its last cycle ends at (the grown loop takes over there), -1 when
   * none; until then the old loop plays on and the input is no longer added
   */
  mulEnd = -1;
  /** a multiply hit again: from this frame the write side holds all its input (latency and fade-out) */
  mulInputEnd = 0;
  /** insert: the loop position it was hit at (the input goes in there) */
  insertPos = 0;
  /** the length of the take before multiplies and inserts (SooperLooper's cycle), 0 when empty */
  cycleFrames = 0;
  /** one-shot: the frame its pass ends at, -1 when not playing once */
  oneShotEnd = -1;
  /** muted by the end of a one-shot: a retrigger or another one-shot unmutes it */
  oneShotMuted = false;
  /** paused: the frame the loop stopped at (it plays on from its position there), -1 when not paused */
  pausedAt = -1;
  // A transform's new layer being filled a chunk per block ahead of where it plays (Transforms.start):
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
  readonly opRegion = new Float64Array(MAX_WRITE_OPS);
  readonly opFrames = new Float64Array(MAX_WRITE_OPS);
  readonly opAnchor = new Float64Array(MAX_WRITE_OPS);
  opCount = 0;

  /** a live loop: clients show it and it takes commands; a deleted track is free for addLoop */
  live = true;
  /** per loop; the engine's values of the same name are what a loop takes when it is added */
  quantize: Quantize = Quantize.Bar;
  feedback = 1;
  /** linear gain on the input this loop records (the monitor follows the engine's inputGain) */
  inputGain = 1;

  // Routing (lib/engine/routing.ts): the input source this track records (a source code), the arena
  // offset of its stereo bus this block, and the cue send: a second output bus (0 = none) at a gain.
  source = 0;
  sourceBus = -1;
  cueBus = 0;
  cueSend = 1;

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

  /** The current loop's length in frames, 0 when empty. */
  get loopFrames(): number {
    return this.layerIndex >= 0 ? this.layerLen[this.layerIndex] : 0;
  }

  /**
   * The loop's length as the player knows it: a multiply hit again has its new length at once, and an
   * insert is a cycle longer from its start.
   */
  get lengthFrames(): number {
    if (this.mulEnd >= 0) return this.mulEnd - this.recStart;
    if (this.state === State.Inserting) return this.loopFrames + this.mulUnit;
    return this.loopFrames;
  }

  /** Queues a write-side operation for `frame` (see WriteOp for what region, frames and anchor mean). */
  pushOp(frame: number, kind: WriteOp, region = 0, frames = 0, anchor = 0): boolean {
    if (this.opCount === MAX_WRITE_OPS) return false;
    const i = this.opCount++;
    this.opFrame[i] = frame;
    this.opKind[i] = kind;
    this.opRegion[i] = region;
    this.opFrames[i] = frames;
    this.opAnchor[i] = anchor;
    return true;
  }

  shiftOp(): void {
    this.opFrame.copyWithin(0, 1, this.opCount);
    this.opKind.copyWithin(0, 1, this.opCount);
    this.opRegion.copyWithin(0, 1, this.opCount);
    this.opFrames.copyWithin(0, 1, this.opCount);
    this.opAnchor.copyWithin(0, 1, this.opCount);
    this.opCount--;
  }

  hasOp(kind: WriteOp): boolean {
    for (let i = 0; i < this.opCount; i++) if (this.opKind[i] === kind) return true;
    return false;
  }

  cancelPending(): void {
    this.pendCount = 0;
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
