import { Arena } from './arena';
import { EventRing } from './events';
import { Gains } from './gains';
import { Layers } from './layers';
import { Metronome } from './metronome';
import { Track, WriteMode, WriteOp, MAX_PENDING, PAUSE, RETRIGGER, STATE_MASK, mod } from './track';
import { tileLoop } from './transform-kernels';
import { Transforms } from './transforms';
import { Cmd, ErrorCode, EventType, Quantize, State } from './types';
import { WriteSide } from './write-side';

// The track state machine: what a pedal press does (TRANSITIONS), when it lands (quantized to a
// boundary, or waiting as a pending action), and the moves between states on the play side: recording,
// overdub, replace, substitute, multiply and insert passes (their writes go to the write side),
// one-shot and retrigger, pause, undo, redo and clear. Real-time side: allocates nothing.

/** resolveTarget: the command changes nothing. */
export const NO_OP = -1;
/** resolveTarget: the command needs a loop and the track is empty (an error event). */
export const NO_LOOP = -2;

const Rec = State.Recording;
const Ply = State.Playing;
const Ovd = State.Overdubbing;
const Stp = State.Stopped;
const Mul = State.Multiplying;
const Rep = State.Replacing;
const Sub = State.Substituting;
const Ins = State.Inserting;
/** pause: stopped, standing still at its position */
const Pau = State.Stopped | PAUSE;
/** one-shot: played once from position 0 */
const One = State.OneShot | RETRIGGER;
/** retrigger: played on from position 0 */
const Rtg = State.Playing | RETRIGGER;
const __ = NO_OP;
const NL = NO_LOOP;

/**
 * What a pedal press does, given the state the track will be in when it lands. Rows: the transport
 * commands; columns: that state, in State order. A cell is the target State (with the RETRIGGER bit
 * when the loop restarts from position 0), NO_OP or NO_LOOP.
 */
// prettier-ignore
const TRANSITIONS: { readonly [cmd: number]: readonly number[] } = {
  //                 Empty Recording Playing Overdubbing Stopped Multiplying Replacing OneShot Substituting Inserting
  [Cmd.Record]:     [Rec,  Ply,      Rec,    Rec,        Rec,    Ply,        Ply,      Rec,    Ply,         Ply],
  [Cmd.Overdub]:    [Rec,  Ovd,      Ovd,    Ply,        Ovd,    Ply,        Ply,      Ovd,    Ply,         Ply],
  [Cmd.Play]:       [NL,   Ply,      __,     Ply,        Ply,    Ply,        Ply,      Ply,    Ply,         Ply],
  [Cmd.Stop]:       [__,   Stp,      Stp,    Stp,        __,     Stp,        Stp,      Stp,    Stp,         Stp],
  [Cmd.Toggle]:     [Rec,  Ply,      Ovd,    Ply,        Ply,    Ply,        Ply,      Ovd,    Ply,         Ply],
  [Cmd.Multiply]:   [NL,   Mul,      Mul,    Mul,        __,     Ply,        __,       Mul,    __,          __],
  [Cmd.Replace]:    [NL,   __,       Rep,    Rep,        __,     __,         Ply,      Rep,    Rep,         Rep],
  [Cmd.OneShot]:    [NL,   __,       One,    __,         One,    __,         __,       One,    __,          __],
  [Cmd.Retrigger]:  [NL,   __,       Rtg,    __,         Rtg,    __,         __,       Rtg,    __,          __],
  [Cmd.Pause]:      [__,   Pau,      Pau,    Pau,        __,     Pau,        Pau,      Pau,    Pau,         Pau],
  [Cmd.Substitute]: [NL,   __,       Sub,    Sub,        __,     __,         Sub,      Sub,    Ply,         __],
  [Cmd.Insert]:     [NL,   __,       Ins,    __,         __,     __,         __,       Ins,    __,          Ply],
};

/** The target of a transport command from the state `s` (see TRANSITIONS); NO_OP for other commands. */
export function resolveTarget(cmd: Cmd, s: State): number {
  const row = TRANSITIONS[cmd];
  return row === undefined ? NO_OP : row[s];
}

/** What the state machine reads from the engine when it runs. */
export interface TransitionParams {
  readonly sampleRate: number;
  readonly crossfadeFrames: number;
  readonly inputLatencyFrames: number;
  /** 1-based number of the master track, 0 when no loop exists (the machine sets it) */
  masterTrack: number;
  /** the first boundary of a quantize mode at or after frame */
  boundary(frame: number, quantize: Quantize): number;
}

export class Transitions {
  constructor(
    private readonly params: TransitionParams,
    private readonly arena: Arena,
    private readonly events: EventRing,
    private readonly tracks: readonly Track[],
    private readonly metronome: Metronome,
    private readonly layers: Layers,
    private readonly writes: WriteSide,
    private readonly gains: Gains,
    private readonly transforms: Transforms,
  ) {}

  /**
   * A transport command (record, overdub, play, stop, toggle, multiply, replace, oneshot, retrigger,
   * pause, substitute, insert) at frame t: its target comes from the state the track will be in; it
   * acts now or waits for its boundary.
   */
  command(tr: Track, cmd: Cmd, t: number): void {
    if (cmd === Cmd.Stop && tr.pendCount > 0) {
      const waiting = tr.pendTarget[tr.pendCount - 1];
      if (waiting === State.Recording || waiting === State.Overdubbing) {
        // stop while waiting to record or overdub cancels the wait (a pedal's double tap leaves no empty pass)
        tr.pendCount--;
        if (waiting === State.Recording) {
          this.events.push(EventType.State, tr.number, t, tr.state, tr.loopFrames);
          return;
        }
      }
    }
    const expected = tr.expectedState();
    const resolved = resolveTarget(cmd, expected);
    if (resolved === NO_LOOP) this.events.push(EventType.Error, tr.number, t, ErrorCode.Empty, cmd);
    if (resolved < 0) return;
    const target = (resolved & STATE_MASK) as State;
    if (tr.pendCount === MAX_PENDING) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.QueueFull, cmd);
      return;
    }
    const at = this.effectiveFrame(tr, expected, target, t);
    if (at <= t) {
      this.perform(tr, target, t, resolved & ~STATE_MASK);
    } else {
      tr.pendTarget[tr.pendCount] = resolved;
      tr.pendFrame[tr.pendCount] = at;
      tr.pendCount++;
      this.events.push(EventType.Pending, tr.number, at, target, 0);
    }
  }

  /**
   * Moves a track to `target` at frame t, from whatever state it is in now. `flags`: RETRIGGER plays
   * from position 0; PAUSE (with Stopped) makes the loop stand still where it is.
   */
  perform(tr: Track, target: State, t: number, flags = 0): void {
    const restart = (flags & RETRIGGER) !== 0;
    this.transforms.complete(tr);
    // a multiply hit again is over: what comes next acts on the grown loop
    if (tr.mulEnd >= 0) this.completeMultiplyNow(tr, t);
    const from = tr.state;
    if (from === target && !restart) return;
    if (tr.oneShotMuted && (restart || target === State.OneShot)) {
      // a one-shot ended muted: playing it again brings it back
      tr.muted = false;
      tr.oneShotMuted = false;
    }
    if (from === State.Recording) {
      this.endRecording(tr, t, target === State.Stopped ? State.Stopped : State.Playing);
      if (target === State.Stopped && (flags & PAUSE) !== 0) tr.pausedAt = t;
      if (target === State.Overdubbing || target === State.Replacing || target === State.Substituting) this.startOverdub(tr, t, target);
      else if (target === State.Multiplying) this.startMultiply(tr, t);
      return;
    }
    if (from === State.Stopped && tr.pausedAt >= 0) this.resume(tr, t);
    if (from === State.Multiplying) this.endMultiply(tr, t);
    else if (from === State.Inserting) this.finishInsert(tr, t);
    else if (from === State.Overdubbing || from === State.Replacing || from === State.Substituting) this.endOverdub(tr, t);
    tr.oneShotEnd = -1;
    if (restart || target === State.OneShot) this.restartLoop(tr, t);
    switch (target) {
      case State.Recording:
        this.startRecording(tr, t);
        return;
      case State.Overdubbing:
      case State.Replacing:
      case State.Substituting:
        this.startOverdub(tr, t, target);
        return;
      case State.Multiplying:
        this.startMultiply(tr, t);
        return;
      case State.Inserting:
        this.startInsert(tr, t);
        return;
      case State.OneShot:
      case State.Playing:
      case State.Stopped:
        if (target === State.OneShot) tr.oneShotEnd = t + tr.loopFrames;
        if (target === State.Stopped && (flags & PAUSE) !== 0) tr.pausedAt = t;
        tr.state = target;
        this.gains.update(tr, this.params.crossfadeFrames);
        this.events.push(EventType.State, tr.number, t, target, tr.lengthFrames);
        return;
    }
  }

  /** A one-shot's pass is over: the loop plays on muted, as SooperLooper's does (Muted, not stopped). */
  endOneShot(tr: Track, t: number): void {
    tr.muted = true;
    tr.oneShotMuted = true;
    this.perform(tr, State.Playing, t);
  }

  /** Where a multiply's or an insert's region runs out: the last whole unit that fits. */
  multiplyLimit(tr: Track): number {
    const room = tr.state === State.Inserting ? tr.recCapacityFrames - tr.loopFrames : tr.recCapacityFrames;
    return tr.recStart + Math.max(1, Math.floor(room / tr.mulUnit)) * tr.mulUnit;
  }

  /** The last cycle of a multiply hit again is complete: the grown loop takes over. */
  completeMultiply(tr: Track, t: number): void {
    tr.mulEnd = -1;
    this.finishMultiply(tr, t);
  }

  /**
   * A transform after a multiply was hit again: completes the multiply once the write side holds its
   * input, so the transform acts on the grown loop (before that, the transform is refused as busy).
   */
  settleMultiply(tr: Track, t: number): void {
    if (tr.mulEnd >= 0 && t >= tr.mulInputEnd) this.completeMultiplyNow(tr, t);
  }

  /**
   * Completes a multiply hit again before its last cycle has played: the rest of the grown layer is the
   * loop repeated (what the write side would have written), copied now. The grown layer plays on from
   * t, where it holds what the old loop plays (no fade).
   */
  private completeMultiplyNow(tr: Track, t: number): void {
    const len = tr.mulEnd - tr.recStart;
    // the write side has written positions [0, t - latency - recStart) once its pass has begun
    const from = tr.hasOp(WriteOp.StartMultiply) ? 0 : Math.max(0, t - this.params.inputLatencyFrames - tr.recStart);
    const src = tr.layerLen[tr.layerIndex];
    tileLoop(this.arena.memory, tr.layerLoop[tr.layerIndex], src, mod(tr.recStart + from - tr.layerAnchor[tr.layerIndex], src), tr.recLoop + from * 2, len - from);
    this.writes.cancel(tr);
    tr.mulEnd = -1;
    this.finishMultiply(tr, t, len);
  }

  undo(tr: Track, t: number): void {
    tr.cancelPending();
    // a multiply hit again is done (its last cycle repeats the loop): complete it, so undo steps over it
    // and redo brings it back
    if (tr.mulEnd >= 0) this.completeMultiplyNow(tr, t);
    if (tr.state === State.Multiplying) {
      // not doing the multiply: the old loop never stopped playing
      this.writes.cancel(tr);
      this.arena.free(tr.recLoop, tr.recCapacityFrames * 2);
      tr.recLoop = -1;
      tr.state = State.Playing;
      this.gains.update(tr, this.params.crossfadeFrames);
      this.events.push(EventType.State, tr.number, t, State.Playing, tr.loopFrames);
      return;
    }
    if (tr.state === State.Inserting) {
      // not doing the insert: the loop plays on from where it stood
      this.writes.cancel(tr);
      this.arena.free(tr.recLoop, tr.recCapacityFrames * 2);
      tr.recLoop = -1;
      this.shiftAnchors(tr, t - tr.recStart);
      tr.state = State.Playing;
      this.gains.fadeIn(tr, tr.layerLoop[tr.layerIndex], tr.loopFrames, tr.layerAnchor[tr.layerIndex]);
      this.events.push(EventType.State, tr.number, t, State.Playing, tr.loopFrames);
      return;
    }
    if (tr.state === State.Recording) {
      this.writes.cancel(tr);
      this.arena.free(tr.recLoop, tr.recCapacityFrames * 2);
      tr.recLoop = -1;
      this.restoreAfterCancel(tr, t);
      return;
    }
    const passOpen = tr.writeMode === WriteMode.Overdub;
    const passWaiting = tr.hasOp(WriteOp.StartOverdub) || tr.hasOp(WriteOp.StartReplace);
    this.writes.cancel(tr);
    if (tr.state === State.Overdubbing || tr.state === State.Replacing || tr.state === State.Substituting) {
      tr.state = State.Playing;
      this.gains.update(tr, this.params.crossfadeFrames);
    }
    if (passWaiting && !passOpen) {
      // the pass had not begun writing: undoing it is just not doing it
      this.events.push(EventType.State, tr.number, t, tr.state, tr.loopFrames);
      return;
    }
    if (tr.layerIndex < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.NothingToUndo, Cmd.Undo);
      return;
    }
    this.selectLayer(tr, tr.layerIndex - 1, t);
  }

  redo(tr: Track, t: number): void {
    tr.cancelPending();
    const growing = tr.state === State.Multiplying || tr.state === State.Inserting || tr.mulEnd >= 0;
    if (tr.state === State.Recording || growing || tr.layerIndex + 1 >= tr.layerCount) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.NothingToRedo, Cmd.Redo);
      return;
    }
    this.writes.cancel(tr);
    if (tr.state === State.Overdubbing || tr.state === State.Replacing || tr.state === State.Substituting) tr.state = State.Playing;
    this.carryPosition(tr, tr.layerIndex + 1, t);
    this.selectLayer(tr, tr.layerIndex + 1, t);
  }

  /**
   * Redo carries the loop's position over, as SooperLooper's does: a redone layer longer than the one
   * playing (a multiply, an insert) plays on from its first pass, where it holds what plays now, not
   * from the pass it would have reached had it never been undone. Its phase against the layer playing
   * (so against the other loops) is kept: only whole lengths of the playing layer are dropped. Undo
   * needs nothing: the layer below plays in its own phase, which is where the position carries it.
   */
  private carryPosition(tr: Track, next: number, t: number): void {
    if (tr.layerIndex < 0) return;
    const now = tr.pausedAt >= 0 ? tr.pausedAt : t;
    const span = Math.min(tr.layerLen[tr.layerIndex], tr.layerLen[next]);
    tr.layerAnchor[next] = now - mod(now - tr.layerAnchor[next], span);
  }

  clear(tr: Track, t: number): void {
    tr.cancelPending();
    this.writes.cancel(tr);
    tr.oneShotEnd = -1;
    tr.pausedAt = -1;
    tr.cycleFrames = 0;
    if (tr.state === State.Recording || tr.state === State.Multiplying || tr.state === State.Inserting || tr.mulEnd >= 0) {
      this.arena.free(tr.recLoop, tr.recCapacityFrames * 2);
      tr.recLoop = -1;
      tr.mulEnd = -1;
    }
    this.gains.fadeToGhost(tr);
    this.layers.freeAll(tr);
    tr.state = State.Empty;
    if (this.params.masterTrack === tr.number) this.pickMaster();
    this.events.push(EventType.State, tr.number, t, State.Empty, 0);
    this.events.push(EventType.Layers, tr.number, t, 0, 0);
  }

  /** Where a quantized action lands: the first boundary at or after the command (and after a pending start). */
  private effectiveFrame(tr: Track, expected: State, target: State, t: number): number {
    let from = tr.pendCount > 0 ? tr.pendFrame[tr.pendCount - 1] : t;
    if (from < t) from = t;
    // a multiply hit again is over at once, as SooperLooper's: what comes next only waits for the write
    // side to take the last of its input (a few ms: the input latency and the fade-out)
    if (tr.mulEnd >= 0 && from < tr.mulInputEnd) from = tr.mulInputEnd;
    if (expected === State.Recording) {
      // a recording ends at least one frame after it starts
      const started = tr.pendCount > 0 ? tr.pendFrame[tr.pendCount - 1] : tr.recStart;
      if (from < started + 1) from = started + 1;
    }
    if (expected === State.Multiplying || expected === State.Inserting) {
      // a multiply hit again stops taking input at once (its last cycle fills from the loop: endMultiply);
      // an insert ends on a whole number of units after its start (which may still be pending), whatever
      // the quantize mode, and so does a multiply that has not begun
      const started = tr.state === expected;
      if (started && expected === State.Multiplying) return from;
      const unit = started ? tr.mulUnit : expected === State.Inserting ? this.insertUnit(tr) : this.multiplyUnit(tr);
      const pending = tr.pendFrame[tr.pendCount - 1];
      const start = started ? tr.recStart : expected === State.Inserting ? pending : this.multiplyOrigin(tr, pending, unit);
      const end = start + Math.max(1, Math.ceil((from - start) / unit)) * unit;
      return started ? Math.min(end, this.multiplyLimit(tr)) : end;
    }
    if (target === State.Recording && this.metronome.countInBars > 0 && !this.anyLoopOrRecording()) {
      return this.metronome.countIn(from);
    }
    return this.params.boundary(from, tr.quantize);
  }

  private startRecording(tr: Track, t: number): void {
    // the longest recording is half the largest free range, so other tracks can still overdub
    let capacity = Math.floor(this.arena.largestFree() / 4);
    while (capacity < this.params.sampleRate && this.layers.reclaimOne()) capacity = Math.floor(this.arena.largestFree() / 4);
    const at = capacity >= 1 ? this.arena.allocInLargest(capacity * 2) : -1;
    if (at < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Record);
      return;
    }
    tr.recLoop = at;
    tr.recCapacityFrames = capacity;
    tr.recStart = t;
    this.gains.fadeToGhost(tr);
    tr.state = State.Recording;
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.StartRecord, at, tr.recCapacityFrames, t);
    this.events.push(EventType.State, tr.number, t, State.Recording, 0);
  }

  /** Ends the recording at t: the loop is [recStart, t). */
  private endRecording(tr: Track, t: number, then: State): void {
    const len = t - tr.recStart;
    this.arena.shrink(tr.recLoop, tr.recCapacityFrames * 2, len * 2);
    this.layers.truncateRedo(tr);
    this.layers.push(tr, tr.recLoop, len, t);
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.EndRecord, tr.recLoop, len);
    tr.recLoop = -1;
    tr.cycleFrames = len;
    tr.main.setLoop(tr.layerLoop[tr.layerIndex], len, t);
    tr.state = then;
    // the loop continues the input without a fade: the crossfade is already in the loop
    this.gains.update(tr, 0);
    if (this.params.masterTrack === 0) this.params.masterTrack = tr.number;
    this.events.push(EventType.State, tr.number, t, then, len);
    this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, 0);
  }

  /**
   * An overdub pass, or a replace pass: the input replaces the loop, which is silent meanwhile
   * (replace) or heard (substitute).
   */
  private startOverdub(tr: Track, t: number, state: State.Overdubbing | State.Replacing | State.Substituting): void {
    tr.state = state;
    this.gains.update(tr, this.params.crossfadeFrames);
    // the pass's layer is made on the write side, once every earlier write has landed
    tr.pushOp(t + this.params.inputLatencyFrames, state === State.Overdubbing ? WriteOp.StartOverdub : WriteOp.StartReplace);
    this.events.push(EventType.State, tr.number, t, state, tr.loopFrames);
  }

  private endOverdub(tr: Track, t: number): void {
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.EndOverdub);
  }

  /**
   * Multiply: from t the loop's content is repeated into a new, growing layer with the input overdubbed
   * onto it; the play side goes on playing the old loop. The loop keeps its position, as SooperLooper's
   * does: the grown layer begins where the unit-long pass that t falls in began (multiplyOrigin), its
   * part before t being the loop as it was. It ends on a whole number of units (the master's length
   * when this loop divides it, else this loop's own), and the longer loop plays on from its position 0
   * there, which is where the old loop would have been anyway.
   */
  private startMultiply(tr: Track, t: number): void {
    const unit = this.multiplyUnit(tr);
    const origin = this.multiplyOrigin(tr, t, unit);
    let capacity = Math.floor(this.arena.largestFree() / 4);
    while (capacity < unit && this.layers.reclaimOne()) capacity = Math.floor(this.arena.largestFree() / 4);
    const at = capacity >= unit ? this.arena.allocInLargest(capacity * 2) : -1;
    if (at < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Multiply);
      if (tr.state !== State.Playing) this.perform(tr, State.Playing, t);
      return;
    }
    tr.recLoop = at;
    tr.recCapacityFrames = capacity;
    tr.recStart = origin;
    tr.mulUnit = unit;
    tr.state = State.Multiplying;
    this.gains.update(tr, this.params.crossfadeFrames);
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.StartMultiply, at, capacity, origin);
    this.events.push(EventType.State, tr.number, t, State.Multiplying, tr.loopFrames);
  }

  private multiplyUnit(tr: Track): number {
    const len = tr.loopFrames;
    const master = this.params.masterTrack;
    if (master === 0 || master === tr.number) return len;
    const mt = this.tracks[master - 1];
    const masterLen = mt.layerLen[mt.layerIndex];
    return masterLen % len === 0 ? masterLen : len;
  }

  /**
   * The frame a multiply begun at t puts its grown layer's position 0 at: where the pass of `unit`
   * frames that t falls in began, on the loop whose length the unit is (the master's when the loop
   * grows by master lengths).
   */
  private multiplyOrigin(tr: Track, t: number, unit: number): number {
    const master = this.params.masterTrack;
    const by = unit === tr.loopFrames || master === 0 ? tr : this.tracks[master - 1];
    return t - mod(t - by.layerAnchor[by.layerIndex], unit);
  }

  /**
   * A multiply hit again (or out of room) at t: the loop grows to the end of the cycle t falls in. The
   * input stops being added at t; the rest of that cycle repeats the loop, and the old loop plays on
   * until the grown one takes over at the cycle's end (completeMultiply), where they hold the same.
   */
  private endMultiply(tr: Track, t: number): void {
    const end = Math.min(this.multiplyLimit(tr), tr.recStart + Math.max(1, Math.ceil((t - tr.recStart) / tr.mulUnit)) * tr.mulUnit);
    if (end <= t) {
      this.finishMultiply(tr, t);
      return;
    }
    tr.mulEnd = end;
    tr.mulInputEnd = t + this.params.inputLatencyFrames + this.params.crossfadeFrames;
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.EndMultiplyInput);
  }

  /** Ends a multiply at t: the grown layer (len frames) becomes the loop (an undo step), playing on from position 0 at recStart + len. */
  private finishMultiply(tr: Track, t: number, len = t - tr.recStart): void {
    this.arena.shrink(tr.recLoop, tr.recCapacityFrames * 2, len * 2);
    this.layers.truncateRedo(tr);
    this.layers.push(tr, tr.recLoop, len, tr.recStart);
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.EndMultiply, tr.recLoop, len, tr.recStart);
    // the old loop at t and the new one at its position 0 hold the same content: no fade
    tr.main.loop = tr.recLoop;
    tr.main.len = len;
    tr.main.anchor = tr.recStart;
    tr.recLoop = -1;
    this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, 0);
  }

  /** SooperLooper inserts whole cycles: the take's length when it divides the loop, else the loop's. */
  private insertUnit(tr: Track): number {
    const len = tr.loopFrames;
    return tr.cycleFrames > 0 && len % tr.cycleFrames === 0 ? tr.cycleFrames : len;
  }

  /**
   * Insert: at t the loop stands still at its position p and goes silent; the input is recorded into a
   * new layer between the loop's first p frames and the rest, for whole cycles (finishInsert). The new
   * layer is an undo step.
   */
  private startInsert(tr: Track, t: number): void {
    const len = tr.loopFrames;
    const unit = this.insertUnit(tr);
    let capacity = Math.floor(this.arena.largestFree() / 4);
    while (capacity < len + unit && this.layers.reclaimOne()) capacity = Math.floor(this.arena.largestFree() / 4);
    const at = capacity >= len + unit ? this.arena.allocInLargest(capacity * 2) : -1;
    if (at < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Insert);
      if (tr.state !== State.Playing) this.perform(tr, State.Playing, t);
      return;
    }
    // the loop before the insert point goes first (its content is complete: no pass writes to it)
    const src = tr.layerLoop[tr.layerIndex];
    const p = mod(t - tr.layerAnchor[tr.layerIndex], len);
    this.arena.memory.copyWithin(at, src, src + p * 2);
    tr.recLoop = at;
    tr.recCapacityFrames = capacity;
    tr.recStart = t;
    tr.mulUnit = unit;
    tr.insertPos = p;
    tr.state = State.Inserting;
    this.gains.update(tr, this.params.crossfadeFrames);
    // the input lands at position p + (frames since t), as a recording anchored at t - p does
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.StartInsert, at, capacity, t - p);
    this.events.push(EventType.State, tr.number, t, State.Inserting, tr.lengthFrames);
  }

  /** Ends an insert at t (whole units after its start): the rest of the loop follows the inserted input. */
  private finishInsert(tr: Track, t: number): void {
    const inserted = t - tr.recStart;
    const src = tr.layerLoop[tr.layerIndex];
    const len = tr.layerLen[tr.layerIndex];
    const p = tr.insertPos;
    const newLen = len + inserted;
    // copied now, on the play side: the old loop is complete, and the grown one plays from p + inserted at t
    this.arena.memory.copyWithin(tr.recLoop + (p + inserted) * 2, src + p * 2, src + len * 2);
    this.arena.shrink(tr.recLoop, tr.recCapacityFrames * 2, newLen * 2);
    this.layers.truncateRedo(tr);
    this.layers.push(tr, tr.recLoop, newLen, tr.recStart - p);
    tr.pushOp(t + this.params.inputLatencyFrames, WriteOp.EndInsert);
    tr.main.setLoop(tr.recLoop, newLen, tr.recStart - p);
    tr.recLoop = -1;
    this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, 0);
  }

  /** A paused loop plays on from the position it stood at. */
  private resume(tr: Track, t: number): void {
    const shift = t - tr.pausedAt;
    tr.pausedAt = -1;
    if (!tr.hasLoop || shift === 0) return;
    this.shiftAnchors(tr, shift);
    // the main voice may still be fading out at the old phase: start it again, silent, at the new one
    this.gains.fadeToGhost(tr);
    tr.main.setLoop(tr.layerLoop[tr.layerIndex], tr.loopFrames, tr.layerAnchor[tr.layerIndex]);
    tr.main.gl = 0;
    tr.main.gr = 0;
  }

  /** Every layer's position 0 moves `shift` frames later (the loop stood still that long). */
  private shiftAnchors(tr: Track, shift: number): void {
    for (let i = 0; i < tr.layerCount; i++) tr.layerAnchor[i] += shift;
  }

  /** Retrigger and one-shot: the loop plays from position 0 at t (crossfaded from where it was). */
  private restartLoop(tr: Track, t: number): void {
    if (!tr.hasLoop) return;
    this.gains.fadeToGhost(tr);
    // every take restarts here, so undo and redo stay in phase with what plays
    for (let i = 0; i < tr.layerCount; i++) tr.layerAnchor[i] = t;
    tr.main.setLoop(tr.layerLoop[tr.layerIndex], tr.layerLen[tr.layerIndex], t);
    tr.main.gl = 0;
    tr.main.gr = 0;
  }

  /** Switches the playing layer with a crossfade (undo/redo); index -1 empties the track. */
  private selectLayer(tr: Track, index: number, t: number): void {
    this.gains.fadeToGhost(tr);
    tr.layerIndex = index;
    if (index < 0) {
      tr.state = State.Empty;
      tr.main.active = false;
      if (this.params.masterTrack === tr.number) this.pickMaster();
    } else {
      if (tr.state === State.Empty) tr.state = State.Playing;
      this.gains.fadeIn(tr, tr.layerLoop[index], tr.layerLen[index], tr.layerAnchor[index]);
      if (this.params.masterTrack === 0) this.params.masterTrack = tr.number;
    }
    this.events.push(EventType.State, tr.number, t, tr.state, tr.loopFrames);
    this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, tr.layerCount - tr.layerIndex - 1);
  }

  /** After a cancelled recording: back to the previous loop, or empty. */
  private restoreAfterCancel(tr: Track, t: number): void {
    if (tr.hasLoop) {
      tr.state = State.Playing;
      this.gains.fadeIn(tr, tr.layerLoop[tr.layerIndex], tr.layerLen[tr.layerIndex], tr.layerAnchor[tr.layerIndex]);
    } else {
      tr.state = State.Empty;
    }
    this.events.push(EventType.State, tr.number, t, tr.state, tr.loopFrames);
  }

  private anyLoopOrRecording(): boolean {
    for (let i = 0; i < this.tracks.length; i++) {
      if (this.tracks[i].hasLoop || this.tracks[i].state === State.Recording) return true;
    }
    return false;
  }

  /** The new master is the remaining loop recorded earliest (smallest anchor). */
  private pickMaster(): void {
    this.params.masterTrack = 0;
    let best = Infinity;
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      if (tr.hasLoop && tr.layerAnchor[tr.layerIndex] < best) {
        best = tr.layerAnchor[tr.layerIndex];
        this.params.masterTrack = tr.number;
      }
    }
  }
}
