import { Arena } from './arena';
import { EventRing } from './events';
import { Layers } from './layers';
import { Track, WriteMode, WriteOp, mod } from './track';
import { sourceLeft, sourceRight } from './routing';
import { tileLoop } from './transform-kernels';
import { Cmd, ErrorCode, EventType, State } from './types';
import { Kernels } from '../dsp';

// The write side: recording, overdub, replace and multiply passes write the input into loop regions
// inputLatencyFrames behind the play side, so what was played in time lands in time. The play side
// queues WriteOps on the track (Track.pushOp); the engine applies each at its frame (apply()), and
// renders the pass in progress segment by segment (render()). It keeps the input's last
// crossfadeFrames frames for the pre-roll crossfaded into a recording's end. Real-time side: allocates
// nothing.

const f = Math.fround;

/** What the write side reads from the engine when it runs (they change between blocks). */
export interface WriteSideParams {
  /** first frame of the block being rendered */
  readonly frame: number;
  readonly crossfadeFrames: number;
  readonly inputLatencyFrames: number;
}

export class WriteSide {
  private readonly memory: Float32Array;

  constructor(
    arena: Arena,
    private readonly dsp: Kernels,
    private readonly events: EventRing,
    private readonly layers: Layers,
    private readonly params: WriteSideParams,
    /** arena offset of the block's input (`channels` interleaved); a pass reads its track's source bus */
    private readonly inputBus: number,
    /** arena offset of the input of the last crossfadeFrames frames before this block (pre-rolls) */
    private readonly history: number,
    /** arena offset of crossfadeFrames floats of scratch for a fade table */
    private readonly fadeTable: number,
    /** arena offset of a block of scratch: the input times a track's input gain */
    private readonly trackInput: number,
    /** arena offset of two floats of scratch the gain kernel meters into */
    private readonly meterScratch: number,
    private readonly channels = 2,
  ) {
    this.memory = arena.memory;
  }

  /** Applies a write-side operation at frame t (see WriteOp for its region, frames and anchor). */
  apply(tr: Track, kind: WriteOp, region: number, frames: number, anchor: number, t: number): void {
    const m = this.memory;
    switch (kind) {
      case WriteOp.StartRecord:
        tr.writeMode = WriteMode.Record;
        tr.wLoop = region;
        tr.wStart = anchor;
        tr.wBegin = t;
        this.capturePreroll(tr, t);
        return;
      case WriteOp.EndRecord: {
        tr.writeMode = WriteMode.None;
        const x = this.params.crossfadeFrames;
        const n = Math.min(x, Math.floor(frames / 2));
        if (n > 0) {
          this.fillFade(n);
          this.dsp.crossfadeInto(region + (frames - n) * 2, tr.preroll + (x - n) * 2, this.fadeTable, n);
        }
        return;
      }
      case WriteOp.StartOverdub:
      case WriteOp.StartReplace: {
        tr.wReplace = kind === WriteOp.StartReplace;
        const i = tr.layerIndex;
        const len = tr.layerLen[i];
        const at = this.layers.alloc(len * 2);
        if (at < 0) {
          this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Overdub);
          tr.state = State.Playing;
          this.events.push(EventType.State, tr.number, t, State.Playing, len);
          return;
        }
        // alloc may have reclaimed old layers: re-read the current one
        const src = tr.layerLoop[tr.layerIndex];
        m.copyWithin(at, src, src + len * 2);
        this.layers.truncateRedo(tr);
        this.layers.push(tr, at, len, tr.layerAnchor[tr.layerIndex]);
        tr.main.loop = at;
        tr.writeMode = WriteMode.Overdub;
        tr.wLoop = at;
        tr.wLen = len;
        tr.wAnchor = tr.layerAnchor[tr.layerIndex];
        tr.wBegin = t;
        this.rampWrite(tr, 1);
        this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, 0);
        return;
      }
      case WriteOp.EndOverdub:
        if (tr.writeMode === WriteMode.Overdub) this.rampWrite(tr, 0);
        return;
      case WriteOp.StartMultiply:
        tr.writeMode = WriteMode.Multiply;
        tr.wReplace = false;
        tr.wLoop = region;
        tr.wLen = frames;
        tr.wAnchor = anchor;
        tr.wSrc = tr.layerLoop[tr.layerIndex];
        tr.wSrcLen = tr.layerLen[tr.layerIndex];
        tr.wSrcAnchor = tr.layerAnchor[tr.layerIndex];
        tr.wBegin = t;
        // the grown layer begins before the pass (the loop keeps its position): up to it, the loop as it was
        tileLoop(m, tr.wSrc, tr.wSrcLen, mod(anchor - tr.wSrcAnchor, tr.wSrcLen), region, t - this.params.inputLatencyFrames - anchor);
        this.rampWrite(tr, 1);
        return;
      case WriteOp.EndMultiplyInput:
        // the input fades out; the loop's content is still repeated into the layer up to the cycle's end
        this.rampWrite(tr, 0);
        tr.writeMode = WriteMode.Multiply;
        return;
      case WriteOp.StartInsert:
        tr.writeMode = WriteMode.Insert;
        tr.wLoop = region;
        tr.wStart = anchor;
        tr.wBegin = t;
        return;
      case WriteOp.EndInsert:
        // the rest of the loop was copied in on the play side
        tr.writeMode = WriteMode.None;
        return;
      case WriteOp.EndMultiply:
        // the grown layer is complete; the input fades out over its start like an overdub's end, so the
        // seam where it wraps is crossfaded (a new pass for a session writer)
        tr.writeMode = WriteMode.Overdub;
        tr.wLoop = region;
        tr.wLen = frames;
        tr.wAnchor = anchor;
        tr.wBegin = t;
        this.rampWrite(tr, 0);
        return;
    }
  }

  /** Drops the track's queued operations and the pass in progress. */
  cancel(tr: Track): void {
    tr.opCount = 0;
    tr.writeMode = WriteMode.None;
    tr.w = 0;
    tr.wRampLen = 0;
  }

  /** Writes the segment [a, a + n) of the track's pass; `o` is a's offset in the block. */
  render(tr: Track, a: number, o: number, n: number): void {
    if (tr.writeMode === WriteMode.None) return;
    const input = this.input(tr, o, n);
    if (tr.writeMode === WriteMode.Record || tr.writeMode === WriteMode.Insert) {
      const pos = a - this.params.inputLatencyFrames - tr.wStart;
      this.memory.copyWithin(tr.wLoop + pos * 2, input, input + n * 2);
    } else if (tr.writeMode === WriteMode.Overdub) {
      this.renderOverdub(tr, a, input, n);
    } else if (tr.writeMode === WriteMode.Multiply) {
      this.renderMultiply(tr, a, input, n);
    }
  }

  /** Where the segment's input from the track's source (block offset o, n frames) is, times the track's input gain. */
  private input(tr: Track, o: number, n: number): number {
    const at = tr.sourceBus + o * 2;
    if (tr.inputGain === 1) return at;
    this.dsp.args[0] = tr.inputGain;
    this.dsp.monitorIn(this.trackInput, at, n, this.meterScratch);
    return this.trackInput;
  }

  /**
   * Keeps the last crossfadeFrames frames of input (all its channels), for the pre-roll of a recording
   * that starts next block, whatever source it records.
   */
  keepHistory(frames: number): void {
    const x = this.params.crossfadeFrames;
    if (x === 0) return;
    const m = this.memory;
    const c = this.channels;
    if (frames >= x) {
      m.copyWithin(this.history, this.inputBus + (frames - x) * c, this.inputBus + frames * c);
    } else {
      m.copyWithin(this.history, this.history + frames * c, this.history + x * c);
      m.copyWithin(this.history + (x - frames) * c, this.inputBus, this.inputBus + frames * c);
    }
  }

  /** `input`: the arena offset of the segment's n frames of input */
  private renderOverdub(tr: Track, a: number, input: number, n: number): void {
    let pos = mod(a - this.params.inputLatencyFrames - tr.wAnchor, tr.wLen);
    let done = 0;
    // replace: feedback 0, so the loop keeps (1 - w) of itself and takes w of the input
    const args = this.dsp.args;
    args[0] = tr.wReplace ? 0 : tr.feedback;
    if (tr.wRampLen > 0) {
      const r = Math.min(n, tr.wRampLen - tr.wRampPos);
      args[1] = tr.wFrom;
      args[2] = tr.wStep;
      this.dsp.overdub(tr.wLoop, tr.wLen, pos, input, r, tr.wRampPos);
      tr.wRampPos += r;
      done = r;
      pos = (pos + r) % tr.wLen;
      if (tr.wRampPos < tr.wRampLen) {
        tr.w = f(tr.wFrom + f(tr.wStep * f(tr.wRampPos)));
      } else {
        tr.wRampLen = 0;
        tr.w = tr.wTarget;
        // the overdub's fade-out is over: this pass is complete
        if (tr.w === 0) tr.writeMode = WriteMode.None;
      }
      if (tr.writeMode === WriteMode.None) return;
    }
    if (done < n) {
      args[1] = tr.w;
      args[2] = 0;
      this.dsp.overdub(tr.wLoop, tr.wLen, pos, input + done * 2, n - done, 0);
    }
  }

  /**
   * Multiply's write side: the growing layer (wLoop, wLen its capacity, position k = frames since its
   * position 0 on the play side, wAnchor, so no wrap) first gets the old loop's content at that point,
   * then the input overdubbed onto it exactly as an overdub pass does.
   */
  private renderMultiply(tr: Track, a: number, input: number, n: number): void {
    const lat = this.params.inputLatencyFrames;
    const k = a - lat - tr.wAnchor;
    tileLoop(this.memory, tr.wSrc, tr.wSrcLen, mod(a - lat - tr.wSrcAnchor, tr.wSrcLen), tr.wLoop + k * 2, n);
    // after a multiply's input has ended (EndMultiplyInput) only the loop's content is written
    if (tr.w === 0 && tr.wRampLen === 0) return;
    this.renderOverdub(tr, a, input, n);
    tr.writeMode = WriteMode.Multiply;
  }

  private rampWrite(tr: Track, target: number): void {
    const x = this.params.crossfadeFrames;
    tr.wTarget = target;
    if (x === 0 || tr.w === target) {
      tr.w = target;
      tr.wRampLen = 0;
      if (target === 0) tr.writeMode = WriteMode.None;
      return;
    }
    tr.wFrom = tr.w;
    tr.wStep = f((target - tr.w) / x);
    tr.wRampLen = x;
    tr.wRampPos = 0;
  }

  private capturePreroll(tr: Track, t: number): void {
    const x = this.params.crossfadeFrames;
    if (x === 0) return;
    const o = t - this.params.frame; // frames of this block's input that precede t
    const fromHistory = Math.max(0, x - o);
    // the track's source, from the input's channels (for a stereo input's "all": a plain copy)
    const c = this.channels;
    const l = sourceLeft(tr.source);
    const r = sourceRight(tr.source, c);
    if (fromHistory > 0) this.dsp.extractPair(tr.preroll, this.history + (x - fromHistory) * c, fromHistory, c, l, r);
    const fromBlock = x - fromHistory;
    if (fromBlock > 0) this.dsp.extractPair(tr.preroll + fromHistory * 2, this.inputBus + (o - fromBlock) * c, fromBlock, c, l, r);
    // the input is kept as the device gave it: the pre-roll takes the track's input gain, as its take does
    if (tr.inputGain !== 1) {
      this.dsp.args[0] = tr.inputGain;
      this.dsp.monitorIn(tr.preroll, tr.preroll, x, this.meterScratch);
    }
  }

  private fillFade(n: number): void {
    const m = this.memory;
    for (let q = 0; q < n; q++) m[this.fadeTable + q] = 0.5 - 0.5 * Math.cos((Math.PI * (q + 1)) / (n + 1));
  }
}
