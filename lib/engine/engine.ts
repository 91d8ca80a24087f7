import { Arena } from './arena';
import { synthClick } from './click';
import { EventRing } from './events';
import { Track, Voice, WriteMode, WriteOp, WriteProgress, MAX_LAYERS, MAX_PENDING, RETRIGGER, STATE_MASK } from './track';
import { doubleSpeedRange, halfSpeedRange, reverseRange, tileLoop } from './transform-kernels';
import { Transport } from './transport';
import {
  Cmd, EngineOptions, ErrorCode, EventType, Quantize, QUANTIZE_MODES, State, isTrackCommand,
} from './types';
import { bindKernels, DspBackend, Kernels } from '../dsp';

// The looper engine: pure, deterministic, no I/O, no timers. The live host and `loopstation render`
// drive the same class: write a block of input into inputView(), call process(frames), read
// outputView(), drain events.
//
// Threads of ownership: process() and everything it calls is the real-time side and allocates
// nothing; command() and the loader methods are the control side and only write into preallocated
// queues or, between blocks, into the arena.
//
// Time: `frame` is the first frame of the next block. A command carries the frame at which it was
// given; the block is split at that frame. Quantized actions become pending actions at a boundary,
// and the block is split there too. Recording and overdubbing run on a write side that lags the
// play side by inputLatencyFrames, so what was played in time lands in time.

const f = Math.fround;
const QUEUE_CAPACITY = 256;
const EVENT_CAPACITY = 4096;
const NORMAL_CLICK_GAIN = 0.7;
/** Frames of a transform's new layer filled per block (at least twice the block: see Engine.transform). */
const FILL_FRAMES = 16384;

export interface TrackInfo {
  track: number;
  state: State;
  frames: number;
  /** position of the loop at the engine's current frame (0 when empty) */
  position: number;
  layers: number;
  layer: number;
  volume: number;
  pan: number;
  muted: boolean;
  soloed: boolean;
  master: boolean;
}

export class Engine {
  readonly sampleRate: number;
  readonly maxBlockFrames: number;
  readonly arena: Arena;
  /** the DSP kernels, bound to the arena once: WebAssembly SIMD, or the bit-identical JS fallback */
  private readonly dsp: Kernels;
  /** the kernels' float arguments, set before each call (lib/dsp/index.ts: KERNEL_ARGS_FLOATS) */
  private readonly dspArgs: Float32Array;
  readonly transport: Transport;
  readonly events = new EventRing(EVENT_CAPACITY);
  readonly tracks: Track[] = [];
  /** first frame of the next block */
  frame = 0;

  quantize: Quantize;
  crossfadeFrames: number;
  inputLatencyFrames: number;
  feedback: number;
  monitor: boolean;
  monitorVolume: number;
  masterVolume: number;
  inputGain: number;
  softLimit: boolean;
  metronomeEnabled: boolean;
  metronomeVolume: number;
  countInBars: number;
  metronomeInOutput: boolean;

  // Arena regions (float offsets).
  readonly inputBus: number;
  readonly mixBus: number;
  readonly clickBus: number;
  /** input of the last crossfadeFrames frames before this block (for pre-rolls) */
  private readonly history: number;
  /** scratch for a crossfade table */
  private readonly fadeTable: number;
  /** [inPeakL, inPeakR, outPeakL, outPeakR] of the last block */
  readonly meters: number;
  private readonly accentClick: number;
  private readonly accentClickFrames: number;
  private readonly normalClick: number;
  private readonly normalClickFrames: number;
  /** int16 interleaved stereo device blocks (maxBlockFrames frames each), see pcmInView/pcmOutView */
  private readonly pcmIn: number;
  private readonly pcmOut: number;

  private inputView_: Float32Array;
  private outputView_: Float32Array;
  private readonly pcmInView_: Int16Array;
  private readonly pcmOutView_: Int16Array;

  // Command queue, sorted by frame (stable), preallocated.
  private readonly qFrame = new Float64Array(QUEUE_CAPACITY);
  private readonly qCmd = new Int32Array(QUEUE_CAPACITY);
  private readonly qTrack = new Int32Array(QUEUE_CAPACITY);
  private readonly qValue = new Float64Array(QUEUE_CAPACITY);
  private qCount = 0;

  /** 1-based number of the master track, 0 when no loop exists */
  masterTrack = 0;
  /** the id the next layer gets (Track.layerId): ids are never reused within an engine's life */
  private nextLayerId = 1;

  // Metronome voice and beat cursor.
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

  /** dsp: 'wasm', 'js' or 'auto' (default: $LOOPSTATION_DSP, else auto), see lib/dsp/index.ts */
  constructor(options: EngineOptions, dsp?: DspBackend | 'auto') {
    this.sampleRate = options.sampleRate;
    this.maxBlockFrames = options.maxBlockFrames;
    this.transport = new Transport(options.sampleRate, options.bpm, options.beatsPerBar);
    this.quantize = QUANTIZE_MODES.indexOf(options.quantize) as Quantize;
    this.crossfadeFrames = options.crossfadeFrames;
    this.inputLatencyFrames = options.inputLatencyFrames;
    this.feedback = f(options.feedback);
    this.monitor = options.monitor;
    this.monitorVolume = f(options.monitorVolume);
    this.masterVolume = f(options.masterVolume);
    this.inputGain = f(options.inputGain);
    this.softLimit = options.limiter === 'soft';
    this.metronomeEnabled = options.metronome.enabled;
    this.metronomeVolume = f(options.metronome.volume);
    this.countInBars = options.metronome.countInBars;
    this.metronomeInOutput = options.metronomeInOutput;

    this.arena = new Arena(Math.floor((options.memoryMiB * 1024 * 1024) / 4));
    this.dsp = bindKernels(this.arena.memory, this.arena.wasmMemory, dsp);
    this.dspArgs = this.dsp.args;
    const block = this.maxBlockFrames * 2;
    const xf = Math.max(1, this.crossfadeFrames) * 2;
    const reserve = (floats: number): number => {
      const at = this.arena.alloc(floats);
      if (at < 0) throw new RangeError(`memoryMiB ${options.memoryMiB} is too small for ${options.tracks} tracks`);
      return at;
    };
    this.inputBus = reserve(block);
    this.mixBus = reserve(block);
    this.clickBus = reserve(block);
    this.history = reserve(xf);
    this.fadeTable = reserve(xf);
    this.meters = reserve(6);
    this.pcmIn = reserve(this.maxBlockFrames);
    this.pcmOut = reserve(this.maxBlockFrames);
    const accent = options.metronome.accentSample ?? options.metronome.sample ?? synthClick(this.sampleRate, true);
    const normal = options.metronome.sample ?? synthClick(this.sampleRate, false);
    this.accentClick = reserve(accent.length);
    this.arena.memory.set(accent, this.accentClick);
    this.accentClickFrames = accent.length / 2;
    this.normalClick = reserve(normal.length);
    this.arena.memory.set(normal, this.normalClick);
    this.normalClickFrames = normal.length / 2;
    for (let i = 1; i <= options.tracks; i++) {
      this.tracks.push(new Track(i, reserve(xf), options.stems ? reserve(block) : -1));
    }
    this.inputView_ = this.arena.memory.subarray(this.inputBus, this.inputBus + block);
    this.outputView_ = this.arena.memory.subarray(this.mixBus, this.mixBus + block);
    const bytes = this.arena.memory.buffer;
    this.pcmInView_ = new Int16Array(bytes, this.pcmIn * 4, block);
    this.pcmOutView_ = new Int16Array(bytes, this.pcmOut * 4, block);
    this.nextBeatFrame = this.transport.beatFrame(0);
  }

  get memory(): Float32Array {
    return this.arena.memory;
  }

  /** Which DSP kernels run: 'wasm' (WebAssembly SIMD) or 'js'. */
  get dspBackend(): DspBackend {
    return this.dsp.backend;
  }

  /** Where the host writes a block of interleaved stereo input (valid until the arena is replaced). */
  inputView(): Float32Array {
    return this.inputView_;
  }

  /** Where process() leaves the block's interleaved stereo output. */
  outputView(): Float32Array {
    return this.outputView_;
  }

  /** Where the host writes a block of int16 interleaved stereo device input, then calls decodeInput(). */
  pcmInView(): Int16Array {
    return this.pcmInView_;
  }

  /** Where encodeOutput() leaves the block's int16 interleaved stereo output for the device. */
  pcmOutView(): Int16Array {
    return this.pcmOutView_;
  }

  /** A track's stem of the last block (tracks' playback only), when the engine was built with stems. */
  stemView(track: number): Float32Array {
    const t = this.tracks[track - 1];
    if (t.stem < 0) throw new Error('the engine was created without stems');
    return this.arena.memory.subarray(t.stem, t.stem + this.maxBlockFrames * 2);
  }

  /** The metronome bus of the last block. */
  clickView(): Float32Array {
    return this.arena.memory.subarray(this.clickBus, this.clickBus + this.maxBlockFrames * 2);
  }

  // ---------------------------------------------------------------- control side

  /**
   * Queues a command for the frame it was given at (a frame already rendered means "now").
   * track is 1-based for track commands and ignored for global ones. Returns false when the queue is full.
   */
  command(cmd: Cmd, track: number, frame: number, value = 0): boolean {
    if (this.qCount === QUEUE_CAPACITY) {
      this.events.push(EventType.Error, track, this.frame, ErrorCode.QueueFull, cmd);
      return false;
    }
    const at = Math.max(frame, this.frame);
    let i = this.qCount;
    while (i > 0 && this.qFrame[i - 1] > at) i--;
    this.qFrame.copyWithin(i + 1, i, this.qCount);
    this.qCmd.copyWithin(i + 1, i, this.qCount);
    this.qTrack.copyWithin(i + 1, i, this.qCount);
    this.qValue.copyWithin(i + 1, i, this.qCount);
    this.qFrame[i] = at;
    this.qCmd[i] = cmd;
    this.qTrack[i] = track;
    this.qValue[i] = value;
    this.qCount++;
    return true;
  }

  /**
   * Loads a loop into a track between blocks (session restore, import, benchmarks): interleaved stereo,
   * playing from `anchor` (its position at frame t is (t - anchor) mod frames). Returns false when it
   * does not fit in the memory budget.
   */
  loadLoop(track: number, data: Float32Array, anchor: number, playing = true): boolean {
    const t = this.tracks[track - 1];
    this.completeFill(t);
    const frames = data.length / 2;
    const at = this.allocLayer(frames * 2);
    if (at < 0 || frames < 1) return false;
    this.arena.memory.set(data, at);
    this.cancelPending(t);
    this.cancelWrites(t);
    this.truncateRedo(t);
    this.pushLayer(t, at, frames, anchor);
    this.setVoice(t.main, at, frames, anchor);
    t.state = playing ? State.Playing : State.Stopped;
    this.updateGains(t, 0);
    if (this.masterTrack === 0) this.masterTrack = t.number;
    this.events.push(EventType.State, t.number, this.frame, t.state, frames);
    return true;
  }

  /** A copy of a track's current loop (interleaved stereo), or null when empty. Control side. */
  loopData(track: number): Float32Array | null {
    const t = this.tracks[track - 1];
    this.completeFill(t);
    if (!t.hasLoop) return null;
    const at = t.layerLoop[t.layerIndex];
    return this.arena.memory.slice(at, at + t.layerLen[t.layerIndex] * 2);
  }

  /**
   * What the write side of a track has written so far in the pass in progress, so a session writer can
   * stream it to disk between blocks (lib/session/capture.ts). Control side; fills and returns `out`,
   * allocating nothing. Frame k of the pass (0 <= k < framesWritten) sits at loop position
   * (startPos + k) mod len (a recording: position k, len 0) in the region at arena offset `loop`.
   */
  writeProgress(track: number, out: WriteProgress): WriteProgress {
    const t = this.tracks[track - 1];
    out.mode = t.writeMode;
    out.began = t.wBegin;
    if (t.writeMode === WriteMode.None) {
      out.loop = -1;
      out.len = 0;
      out.startPos = 0;
      out.framesWritten = 0;
    } else {
      // a multiply pass fills its own region from position 0, like a recording
      const record = t.writeMode === WriteMode.Record || t.writeMode === WriteMode.Multiply;
      out.mode = record ? WriteMode.Record : t.writeMode;
      out.loop = t.wLoop;
      out.len = record ? 0 : t.wLen;
      out.startPos = record ? 0 : mod(t.wBegin - this.inputLatencyFrames - t.wAnchor, t.wLen);
      out.framesWritten = this.frame - t.wBegin;
    }
    return out;
  }

  trackInfo(track: number): TrackInfo {
    const t = this.tracks[track - 1];
    const frames = t.hasLoop ? t.layerLen[t.layerIndex] : 0;
    const anchor = t.hasLoop ? t.layerAnchor[t.layerIndex] : 0;
    return {
      track: t.number,
      state: t.state,
      frames,
      position: frames > 0 ? mod(this.frame - anchor, frames) : 0,
      layers: t.layerCount,
      layer: t.layerIndex,
      volume: t.volume,
      pan: t.pan,
      muted: t.muted,
      soloed: t.soloed,
      master: this.masterTrack === t.number,
    };
  }

  // ---------------------------------------------------------------- real-time side

  /** pcmInView() -> inputView() as float (x / 32768), before process(). Allocates nothing. */
  decodeInput(frames: number): void {
    this.checkFrames('decodeInput', frames);
    this.dsp.fromInt16(this.pcmIn, this.inputBus, frames);
  }

  /** outputView() -> pcmOutView() as int16 (x * 32767, clamped, NaN -> 0), after process(). Allocates nothing. */
  encodeOutput(frames: number): void {
    this.checkFrames('encodeOutput', frames);
    this.dsp.toInt16(this.mixBus, frames, this.pcmOut);
  }

  private checkFrames(what: string, frames: number): void {
    if (!(frames >= 1 && frames <= this.maxBlockFrames)) throw new RangeError(`${what}(${frames}): frames must be 1..${this.maxBlockFrames}`);
  }

  /** Renders `frames` (<= maxBlockFrames) from inputView() into outputView(). Allocates nothing. */
  process(frames: number): void {
    this.checkFrames('process', frames);
    const m = this.arena.memory;
    const start = this.frame;
    const end = start + frames;
    m[this.meters] = 0;
    m[this.meters + 1] = 0;
    m[this.meters + 2] = 0;
    m[this.meters + 3] = 0;
    // input gain in place, before monitoring and recording (this pass meters into the scratch slots 4, 5)
    const args = this.dspArgs;
    if (this.inputGain !== 1) {
      args[0] = this.inputGain;
      this.dsp.monitorIn(this.inputBus, this.inputBus, frames, this.meters + 4);
    }
    args[0] = this.monitor ? this.monitorVolume : 0;
    this.dsp.monitorIn(this.mixBus, this.inputBus, frames, this.meters);
    // the click bus is only touched (and mixed) in blocks where a click sounds
    this.clickInBlock = false;
    for (let i = 0; i < this.tracks.length; i++) if (this.tracks[i].stem >= 0) this.dsp.zero(this.tracks[i].stem, frames);
    for (let i = 0; i < this.tracks.length; i++) if (this.tracks[i].fillCmd >= 0) this.fillSome(this.tracks[i], this.fillChunk());

    let t = start;
    while (t < end) {
      this.applyDue(t);
      const next = Math.min(end, this.nextSplit());
      this.renderSegment(t, next, start);
      t = next;
    }

    args[0] = 1;
    for (let i = 0; i < this.tracks.length; i++) {
      const s = this.tracks[i].stem;
      if (s >= 0) this.dsp.addScaled(this.mixBus, s, frames);
    }
    if (this.clickInBlock) {
      this.clickBusDirty = true;
      if (this.metronomeInOutput) this.dsp.addScaled(this.mixBus, this.clickBus, frames);
    } else if (this.clickBusDirty) {
      // the first silent block after a click clears the bus, the next ones find it clear
      this.dsp.zero(this.clickBus, this.maxBlockFrames);
      this.clickBusDirty = false;
    }
    args[0] = this.masterVolume;
    this.dsp.masterOut(this.mixBus, frames, this.softLimit, this.meters + 2);
    this.keepHistory(frames);
    this.frame = end;
  }

  /** Applies every command, pending action and write-side operation due at frame t. */
  private applyDue(t: number): void {
    while (this.qCount > 0 && this.qFrame[0] <= t) {
      const cmd = this.qCmd[0];
      const track = this.qTrack[0];
      const value = this.qValue[0];
      this.qFrame.copyWithin(0, 1, this.qCount);
      this.qCmd.copyWithin(0, 1, this.qCount);
      this.qTrack.copyWithin(0, 1, this.qCount);
      this.qValue.copyWithin(0, 1, this.qCount);
      this.qCount--;
      if (isTrackCommand(cmd)) {
        if (track >= 1 && track <= this.tracks.length) this.trackCommand(this.tracks[track - 1], cmd, t, value);
      } else this.globalCommand(cmd, t, value);
    }
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
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      while (tr.pendCount > 0 && tr.pendFrame[0] <= t) {
        const target = tr.pendTarget[0];
        tr.shiftPending();
        this.perform(tr, (target & STATE_MASK) as State, t, (target & RETRIGGER) !== 0);
      }
      if (tr.state === State.Recording && tr.recStart + tr.recCapacityFrames <= t) {
        this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Record);
        this.cancelPending(tr);
        this.perform(tr, State.Playing, t);
      }
      if (tr.state === State.Multiplying && this.multiplyLimit(tr) <= t) {
        // the region is full: the loop ends at the last whole unit that fits
        this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Multiply);
        this.cancelPending(tr);
        this.perform(tr, State.Playing, t);
      }
      if (tr.state === State.OneShot && tr.oneShotEnd <= t) this.perform(tr, State.Stopped, t);
      while (tr.opCount > 0 && tr.opFrame[0] <= t) {
        const kind = tr.opKind[0] as WriteOp;
        const a = tr.opA[0];
        const b = tr.opB[0];
        const c = tr.opC[0];
        tr.shiftOp();
        this.writeOp(tr, kind, a, b, c, t);
      }
    }
  }

  /** The next frame after the current one at which something must happen. */
  private nextSplit(): number {
    let next = Infinity;
    if (this.qCount > 0) next = this.qFrame[0];
    if (this.pendingTempoFrame >= 0 && this.pendingTempoFrame < next) next = this.pendingTempoFrame;
    if (this.pendingBarFrame >= 0 && this.pendingBarFrame < next) next = this.pendingBarFrame;
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      if (tr.pendCount > 0 && tr.pendFrame[0] < next) next = tr.pendFrame[0];
      if (tr.opCount > 0 && tr.opFrame[0] < next) next = tr.opFrame[0];
      if (tr.state === State.Recording && tr.recStart + tr.recCapacityFrames < next) next = tr.recStart + tr.recCapacityFrames;
      if (tr.state === State.Multiplying && this.multiplyLimit(tr) < next) next = this.multiplyLimit(tr);
      if (tr.state === State.OneShot && tr.oneShotEnd < next) next = tr.oneShotEnd;
    }
    return next;
  }

  private renderSegment(a: number, b: number, blockStart: number): void {
    const m = this.arena.memory;
    const o = a - blockStart;
    const n = b - a;
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      const bus = (tr.stem >= 0 ? tr.stem : this.mixBus) + o * 2;
      // play before write: an overdub pass plays the loop as it was, the input is heard through the monitor
      this.renderVoice(tr.main, bus, a, n);
      if (tr.ghost.active) {
        this.renderVoice(tr.ghost, bus, a, n);
        if (tr.ghost.silent) this.retireGhost(tr);
      }
      if (tr.writeMode === WriteMode.Record) {
        const pos = a - this.inputLatencyFrames - tr.wStart;
        m.copyWithin(tr.wLoop + pos * 2, this.inputBus + o * 2, this.inputBus + (o + n) * 2);
      } else if (tr.writeMode === WriteMode.Overdub) {
        this.renderOverdub(tr, a, o, n);
      } else if (tr.writeMode === WriteMode.Multiply) {
        this.renderMultiply(tr, a, o, n);
      }
    }
    this.renderMetronome(a, b, blockStart);
  }

  private renderVoice(v: Voice, bus: number, t: number, n: number): void {
    if (!v.active || v.silent) return;
    let pos = mod(t - v.anchor, v.len);
    let done = 0;
    if (v.rampLen > 0) {
      const r = Math.min(n, v.rampLen - v.rampPos);
      const args = this.dspArgs;
      args[0] = v.startL;
      args[1] = v.startR;
      args[2] = v.stepL;
      args[3] = v.stepR;
      this.dsp.mixLoopRamp(bus, r, v.loop, v.len, pos, v.rampPos);
      v.advanceRamp(r);
      done = r;
      pos = (pos + r) % v.len;
    }
    if (done < n && !v.silent) {
      this.dspArgs[0] = v.gl;
      this.dspArgs[1] = v.gr;
      this.dsp.mixLoop(bus + done * 2, n - done, v.loop, v.len, pos);
    }
  }

  private renderOverdub(tr: Track, a: number, o: number, n: number): void {
    let pos = mod(a - this.inputLatencyFrames - tr.wAnchor, tr.wLen);
    let done = 0;
    // replace: feedback 0, so the loop keeps (1 - w) of itself and takes w of the input
    const args = this.dspArgs;
    args[0] = tr.wReplace ? 0 : this.feedback;
    if (tr.wRampLen > 0) {
      const r = Math.min(n, tr.wRampLen - tr.wRampPos);
      args[1] = tr.wFrom;
      args[2] = tr.wStep;
      this.dsp.overdub(tr.wLoop, tr.wLen, pos, this.inputBus + o * 2, r, tr.wRampPos);
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
      this.dsp.overdub(tr.wLoop, tr.wLen, pos, this.inputBus + (o + done) * 2, n - done, 0);
    }
  }

  /**
   * Multiply's write side: the growing layer (wLoop, wLen its capacity, position k = frames since the
   * pass began on the play side, so no wrap) first gets the old loop's content at that point, then the
   * input overdubbed onto it exactly as an overdub pass does.
   */
  private renderMultiply(tr: Track, a: number, o: number, n: number): void {
    const k = a - this.inputLatencyFrames - tr.wAnchor;
    tileLoop(this.arena.memory, tr.wSrc, tr.wSrcLen, mod(a - this.inputLatencyFrames - tr.wSrcAnchor, tr.wSrcLen), tr.wLoop + k * 2, n);
    this.renderOverdub(tr, a, o, n);
  }

  private renderMetronome(a: number, b: number, blockStart: number): void {
    let t = a;
    while (this.nextBeatFrame < b) {
      this.renderClick(t, this.nextBeatFrame, blockStart);
      t = this.nextBeatFrame;
      const k = this.nextBeat;
      const inBar = this.transport.beatInBar(k);
      const audible = this.metronomeEnabled || t < this.countInUntil;
      this.clickSample = inBar === 0 ? this.accentClick : this.normalClick;
      this.clickFrames = inBar === 0 ? this.accentClickFrames : this.normalClickFrames;
      this.clickPos = 0;
      this.clickGain = audible ? (inBar === 0 ? this.metronomeVolume : f(this.metronomeVolume * NORMAL_CLICK_GAIN)) : 0;
      this.events.push(EventType.Beat, 0, t, k, inBar);
      this.nextBeat = k + 1;
      this.nextBeatFrame = this.transport.beatFrame(k + 1);
    }
    this.renderClick(t, b, blockStart);
  }

  private renderClick(a: number, b: number, blockStart: number): void {
    const n = Math.min(b - a, this.clickFrames - this.clickPos);
    if (n <= 0) return;
    if (this.clickGain !== 0) {
      if (!this.clickInBlock) this.dsp.zero(this.clickBus, this.maxBlockFrames);
      this.clickInBlock = true;
      this.dspArgs[0] = this.clickGain;
      this.dsp.addScaled(this.clickBus + (a - blockStart) * 2, this.clickSample + this.clickPos * 2, n);
    }
    this.clickPos += n;
  }

  /** Keeps the last crossfadeFrames frames of input, for the pre-roll of a recording that starts next block. */
  private keepHistory(frames: number): void {
    const x = this.crossfadeFrames;
    if (x === 0) return;
    const m = this.arena.memory;
    if (frames >= x) {
      m.copyWithin(this.history, this.inputBus + (frames - x) * 2, this.inputBus + frames * 2);
    } else {
      m.copyWithin(this.history, this.history + frames * 2, this.history + x * 2);
      m.copyWithin(this.history + (x - frames) * 2, this.inputBus, this.inputBus + frames * 2);
    }
  }

  // ---------------------------------------------------------------- commands (applied at frame t)

  private globalCommand(cmd: Cmd, t: number, value: number): void {
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
      case Cmd.Quantize:
        this.quantize = value as Quantize;
        break;
      case Cmd.Metronome:
        this.metronomeEnabled = value !== 0;
        break;
      case Cmd.MetronomeVolume:
        this.metronomeVolume = f(value);
        break;
      case Cmd.Monitor:
        this.monitor = value !== 0;
        break;
      case Cmd.MonitorVolume:
        this.monitorVolume = f(value);
        break;
      case Cmd.MasterVolume:
        this.masterVolume = f(value);
        break;
      case Cmd.InputGain:
        this.inputGain = f(value);
        break;
      case Cmd.Feedback:
        this.feedback = f(value);
        break;
    }
  }

  private trackCommand(tr: Track, cmd: Cmd, t: number, value: number): void {
    // whatever comes next acts on the transformed loop as a whole
    this.completeFill(tr);
    switch (cmd) {
      case Cmd.Volume:
        tr.volume = value;
        this.updateGains(tr, this.crossfadeFrames);
        return;
      case Cmd.Pan:
        tr.pan = value;
        this.updateGains(tr, this.crossfadeFrames);
        return;
      case Cmd.Mute:
      case Cmd.Unmute:
        tr.muted = cmd === Cmd.Mute;
        this.updateGains(tr, this.crossfadeFrames);
        return;
      case Cmd.Solo:
      case Cmd.Unsolo:
        tr.soloed = cmd === Cmd.Solo;
        for (let i = 0; i < this.tracks.length; i++) this.updateGains(this.tracks[i], this.crossfadeFrames);
        return;
      case Cmd.Clear:
        this.clear(tr, t);
        return;
      case Cmd.Undo:
        this.undo(tr, t);
        return;
      case Cmd.Redo:
        this.redo(tr, t);
        return;
      case Cmd.Reverse:
      case Cmd.Half:
      case Cmd.Double:
        this.transform(tr, cmd, t);
        return;
    }
    // record, overdub, play, stop, toggle, multiply, replace, oneshot, retrigger: decide the target from
    // the state the track will be in
    if (cmd === Cmd.Stop && tr.pendCount > 0) {
      const waiting = tr.pendTarget[tr.pendCount - 1];
      if (waiting === State.Recording || waiting === State.Overdubbing) {
        // stop while waiting to record or overdub cancels the wait (a pedal's double tap leaves no empty pass)
        tr.pendCount--;
        if (waiting === State.Recording) {
          this.events.push(EventType.State, tr.number, t, tr.state, this.loopFrames(tr));
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
      this.perform(tr, target, t, (resolved & RETRIGGER) !== 0);
    } else {
      tr.pendTarget[tr.pendCount] = resolved;
      tr.pendFrame[tr.pendCount] = at;
      tr.pendCount++;
      this.events.push(EventType.Pending, tr.number, at, target, 0);
    }
  }

  /** Where a quantized action lands: the first boundary at or after the command (and after a pending start). */
  private effectiveFrame(tr: Track, expected: State, target: State, t: number): number {
    let from = tr.pendCount > 0 ? tr.pendFrame[tr.pendCount - 1] : t;
    if (from < t) from = t;
    if (expected === State.Recording) {
      // a recording ends at least one frame after it starts
      const started = tr.pendCount > 0 ? tr.pendFrame[tr.pendCount - 1] : tr.recStart;
      if (from < started + 1) from = started + 1;
    }
    if (expected === State.Multiplying) {
      // a multiply ends on a whole number of units after its start (which may still be pending), whatever
      // the quantize mode
      const started = tr.state === State.Multiplying;
      const start = started ? tr.recStart : tr.pendFrame[tr.pendCount - 1];
      const unit = started ? tr.mulUnit : this.multiplyUnit(tr);
      const end = start + Math.max(1, Math.ceil((from - start) / unit)) * unit;
      return started ? Math.min(end, this.multiplyLimit(tr)) : end;
    }
    if (target === State.Recording && this.countInBars > 0 && !this.anyLoopOrRecording()) {
      const bar = this.transport.barBeatAtOrAfter(from) + this.countInBars * this.transport.beatsPerBar;
      const at = this.transport.beatFrame(bar);
      this.countInUntil = at;
      return at;
    }
    return this.boundary(from);
  }

  /** The first quantize boundary at or after frame. */
  boundary(frame: number): number {
    switch (this.quantize) {
      case Quantize.Off:
        return frame;
      case Quantize.Beat:
        return this.transport.beatFrame(this.transport.beatAtOrAfter(frame));
      case Quantize.Loop:
        if (this.masterTrack !== 0) {
          const mt = this.tracks[this.masterTrack - 1];
          const len = mt.layerLen[mt.layerIndex];
          const anchor = mt.layerAnchor[mt.layerIndex];
          if (frame <= anchor) return anchor;
          return anchor + Math.ceil((frame - anchor) / len) * len;
        }
        return this.transport.beatFrame(this.transport.barBeatAtOrAfter(frame));
      default:
        return this.transport.beatFrame(this.transport.barBeatAtOrAfter(frame));
    }
  }

  /** Moves a track to `target` at frame t, from whatever state it is in now; `restart`: from position 0. */
  private perform(tr: Track, target: State, t: number, restart = false): void {
    this.completeFill(tr);
    const from = tr.state;
    if (from === target && !restart) return;
    if (from === State.Recording) {
      if (!this.endRecording(tr, t, target === State.Stopped ? State.Stopped : State.Playing)) return;
      if (target === State.Overdubbing || target === State.Replacing) this.startOverdub(tr, t, target);
      else if (target === State.Multiplying) this.startMultiply(tr, t);
      return;
    }
    if (from === State.Multiplying) this.finishMultiply(tr, t);
    else if (from === State.Overdubbing || from === State.Replacing) this.endOverdub(tr, t);
    tr.oneShotEnd = -1;
    if (restart || target === State.OneShot) this.restartLoop(tr, t);
    switch (target) {
      case State.Recording:
        this.startRecording(tr, t);
        return;
      case State.Overdubbing:
      case State.Replacing:
        this.startOverdub(tr, t, target);
        return;
      case State.Multiplying:
        this.startMultiply(tr, t);
        return;
      case State.OneShot:
      case State.Playing:
      case State.Stopped:
        if (target === State.OneShot) tr.oneShotEnd = t + this.loopFrames(tr);
        tr.state = target;
        this.updateGains(tr, this.crossfadeFrames);
        this.events.push(EventType.State, tr.number, t, target, this.loopFrames(tr));
        return;
    }
  }

  private startRecording(tr: Track, t: number): void {
    // the longest recording is half the largest free range, so other tracks can still overdub
    let capacity = Math.floor(this.arena.largestFree() / 4);
    while (capacity < this.sampleRate && this.reclaimOne()) capacity = Math.floor(this.arena.largestFree() / 4);
    const at = capacity >= 1 ? this.arena.allocInLargest(capacity * 2) : -1;
    if (at < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Record);
      return;
    }
    tr.recLoop = at;
    tr.recCapacityFrames = capacity;
    tr.recStart = t;
    this.fadeToGhost(tr);
    tr.state = State.Recording;
    tr.pushOp(t + this.inputLatencyFrames, WriteOp.StartRecord, at, tr.recCapacityFrames, t);
    this.events.push(EventType.State, tr.number, t, State.Recording, 0);
  }

  /** Ends the recording at t: the loop is [recStart, t). Returns false if it could not be kept. */
  private endRecording(tr: Track, t: number, then: State): boolean {
    const len = t - tr.recStart;
    this.arena.shrink(tr.recLoop, tr.recCapacityFrames * 2, len * 2);
    this.truncateRedo(tr);
    if (!this.pushLayer(tr, tr.recLoop, len, t)) {
      this.arena.free(tr.recLoop, len * 2);
      tr.recLoop = -1;
      this.cancelWrites(tr);
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Record);
      this.restoreAfterCancel(tr, t);
      return false;
    }
    tr.pushOp(t + this.inputLatencyFrames, WriteOp.EndRecord, tr.recLoop, len, 0);
    tr.recLoop = -1;
    this.setVoice(tr.main, tr.layerLoop[tr.layerIndex], len, t);
    tr.state = then;
    // the loop continues the input without a fade: the crossfade is already in the loop
    this.updateGains(tr, 0);
    if (this.masterTrack === 0) this.masterTrack = tr.number;
    this.events.push(EventType.State, tr.number, t, then, len);
    this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, 0);
    return true;
  }

  /** An overdub pass, or a replace pass (the loop is silent while the input replaces it). */
  private startOverdub(tr: Track, t: number, state: State.Overdubbing | State.Replacing = State.Overdubbing): void {
    tr.state = state;
    this.updateGains(tr, this.crossfadeFrames);
    // the pass's layer is made on the write side, once every earlier write has landed
    tr.pushOp(t + this.inputLatencyFrames, WriteOp.StartOverdub, state === State.Replacing ? 1 : 0, 0, 0);
    this.events.push(EventType.State, tr.number, t, state, this.loopFrames(tr));
  }

  /**
   * Multiply: from t the loop's content is repeated into a new, growing layer with the input overdubbed
   * onto it; the play side goes on playing the old loop. It ends on a whole number of units (the
   * master's length when this loop divides it, else this loop's own), and the longer loop plays on from
   * its position 0 there, which is where the old loop would have been anyway.
   */
  private startMultiply(tr: Track, t: number): void {
    const unit = this.multiplyUnit(tr);
    let capacity = Math.floor(this.arena.largestFree() / 4);
    while (capacity < unit && this.reclaimOne()) capacity = Math.floor(this.arena.largestFree() / 4);
    const at = capacity >= unit ? this.arena.allocInLargest(capacity * 2) : -1;
    if (at < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Multiply);
      if (tr.state !== State.Playing) this.perform(tr, State.Playing, t);
      return;
    }
    tr.recLoop = at;
    tr.recCapacityFrames = capacity;
    tr.recStart = t;
    tr.mulUnit = unit;
    tr.state = State.Multiplying;
    this.updateGains(tr, this.crossfadeFrames);
    tr.pushOp(t + this.inputLatencyFrames, WriteOp.StartMultiply, at, capacity, t);
    this.events.push(EventType.State, tr.number, t, State.Multiplying, this.loopFrames(tr));
  }

  private multiplyUnit(tr: Track): number {
    const len = this.loopFrames(tr);
    if (this.masterTrack === 0 || this.masterTrack === tr.number) return len;
    const mt = this.tracks[this.masterTrack - 1];
    const master = mt.layerLen[mt.layerIndex];
    return master % len === 0 ? master : len;
  }

  /** Where the region runs out: the last whole unit that fits. */
  private multiplyLimit(tr: Track): number {
    return tr.recStart + Math.floor(tr.recCapacityFrames / tr.mulUnit) * tr.mulUnit;
  }

  /** Ends a multiply at t: the grown layer becomes the loop (an undo step), playing on from position 0. */
  private finishMultiply(tr: Track, t: number): void {
    const len = t - tr.recStart;
    this.arena.shrink(tr.recLoop, tr.recCapacityFrames * 2, len * 2);
    this.truncateRedo(tr);
    this.pushLayer(tr, tr.recLoop, len, tr.recStart);
    tr.pushOp(t + this.inputLatencyFrames, WriteOp.EndMultiply, tr.recLoop, len, tr.recStart);
    // the old loop at t and the new one at its position 0 hold the same content: no fade
    tr.main.loop = tr.recLoop;
    tr.main.len = len;
    tr.main.anchor = tr.recStart;
    tr.recLoop = -1;
    tr.state = State.Playing;
    this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, 0);
  }

  /** Retrigger and one-shot: the loop plays from position 0 at t (crossfaded from where it was). */
  private restartLoop(tr: Track, t: number): void {
    if (!tr.hasLoop) return;
    this.fadeToGhost(tr);
    // every take restarts here, so undo and redo stay in phase with what plays
    for (let i = 0; i < tr.layerCount; i++) tr.layerAnchor[i] = t;
    this.setVoice(tr.main, tr.layerLoop[tr.layerIndex], tr.layerLen[tr.layerIndex], t);
    tr.main.gl = 0;
    tr.main.gr = 0;
  }

  /**
   * Reverse, half speed, double speed, at once (not quantized): a new layer (an undo step) made from the
   * current one, playing on from the matching position with a crossfade: reversed, the sample just
   * heard plays again and the loop runs backwards from there; at half speed position p becomes 2p, at
   * double speed p/2. Refused while a pass writes to the track.
   *
   * Writing a whole long loop in one block would overrun it (about 1 ms per 3 s of loop here), so the
   * new layer is filled from where it starts playing, FILL_FRAMES now and as many every block after:
   * always ahead of the read position, which moves one block per block. It becomes an undo layer (and
   * a session writer sees it) once complete; any other command on the track completes it first.
   */
  private transform(tr: Track, cmd: Cmd, t: number): void {
    if (!tr.hasLoop) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.Empty, cmd);
      return;
    }
    const s = tr.state;
    if (s === State.Recording || s === State.Overdubbing || s === State.Multiplying || s === State.Replacing || tr.writeMode !== WriteMode.None) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.Busy, cmd);
      return;
    }
    const len = tr.layerLen[tr.layerIndex];
    const newLen = cmd === Cmd.Half ? len * 2 : cmd === Cmd.Double ? len >> 1 : len;
    if (newLen < 1) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.TooShort, cmd);
      return;
    }
    const at = this.allocLayer(newLen * 2);
    if (at < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, cmd);
      return;
    }
    // allocLayer may have reclaimed old layers: read the current one now
    const p = mod(t - tr.layerAnchor[tr.layerIndex], len);
    const q = cmd === Cmd.Reverse ? (len - p) % len : cmd === Cmd.Half ? 2 * p : Math.min(newLen - 1, p >> 1);
    tr.fillCmd = cmd;
    tr.fillSrc = tr.layerLoop[tr.layerIndex];
    tr.fillSrcLen = len;
    tr.fillDst = at;
    tr.fillLen = newLen;
    tr.fillAnchor = t - q;
    tr.fillNext = q;
    tr.fillLeft = newLen;
    this.fillSome(tr, this.fillChunk());
    this.fadeToGhost(tr);
    this.setVoice(tr.main, at, newLen, t - q);
    tr.main.gl = 0;
    tr.main.gr = 0;
    this.updateGains(tr, this.crossfadeFrames);
    this.events.push(EventType.State, tr.number, t, tr.state, newLen);
  }

  private fillChunk(): number {
    return Math.max(FILL_FRAMES, 2 * this.maxBlockFrames);
  }

  /** Fills up to `frames` more of a transform's layer; the complete layer becomes the current undo layer. */
  private fillSome(tr: Track, frames: number): void {
    const m = this.arena.memory;
    let left = Math.min(frames, tr.fillLeft);
    while (left > 0) {
      const run = Math.min(left, tr.fillLen - tr.fillNext);
      if (tr.fillCmd === Cmd.Reverse) reverseRange(m, tr.fillSrc, tr.fillSrcLen, tr.fillDst, tr.fillNext, run);
      else if (tr.fillCmd === Cmd.Half) halfSpeedRange(m, tr.fillSrc, tr.fillSrcLen, tr.fillDst, tr.fillNext, run);
      else doubleSpeedRange(m, tr.fillSrc, tr.fillDst, tr.fillNext, run);
      tr.fillNext = (tr.fillNext + run) % tr.fillLen;
      tr.fillLeft -= run;
      left -= run;
    }
    if (tr.fillLeft > 0) return;
    tr.fillCmd = -1;
    this.truncateRedo(tr);
    this.pushLayer(tr, tr.fillDst, tr.fillLen, tr.fillAnchor);
    this.events.push(EventType.Layers, tr.number, this.frame, tr.layerIndex + 1, 0);
  }

  /** Finishes a transform's layer at once (control side, or before a command that needs the whole loop). */
  private completeFill(tr: Track): void {
    if (tr.fillCmd >= 0) this.fillSome(tr, tr.fillLeft);
  }

  private endOverdub(tr: Track, t: number): void {
    tr.pushOp(t + this.inputLatencyFrames, WriteOp.EndOverdub, 0, 0, 0);
  }

  private writeOp(tr: Track, kind: WriteOp, a: number, b: number, c: number, t: number): void {
    const m = this.arena.memory;
    switch (kind) {
      case WriteOp.StartRecord:
        tr.writeMode = WriteMode.Record;
        tr.wLoop = a;
        tr.wStart = c;
        tr.wBegin = t;
        this.capturePreroll(tr, t);
        return;
      case WriteOp.EndRecord: {
        tr.writeMode = WriteMode.None;
        const n = Math.min(this.crossfadeFrames, Math.floor(b / 2));
        if (n > 0) {
          this.fillFade(n);
          this.dsp.crossfadeInto(a + (b - n) * 2, tr.preroll + (this.crossfadeFrames - n) * 2, this.fadeTable, n);
        }
        return;
      }
      case WriteOp.StartOverdub: {
        tr.wReplace = a === 1;
        const i = tr.layerIndex;
        const len = tr.layerLen[i];
        const at = this.allocLayer(len * 2);
        if (at < 0) {
          this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Overdub);
          tr.state = State.Playing;
          this.events.push(EventType.State, tr.number, t, State.Playing, len);
          return;
        }
        // allocLayer may have reclaimed old layers: re-read the current one
        const src = tr.layerLoop[tr.layerIndex];
        m.copyWithin(at, src, src + len * 2);
        this.truncateRedo(tr);
        this.pushLayer(tr, at, len, tr.layerAnchor[tr.layerIndex]);
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
        tr.wLoop = a;
        tr.wLen = b;
        tr.wAnchor = c;
        tr.wSrc = tr.layerLoop[tr.layerIndex];
        tr.wSrcLen = tr.layerLen[tr.layerIndex];
        tr.wSrcAnchor = tr.layerAnchor[tr.layerIndex];
        tr.wBegin = t;
        this.rampWrite(tr, 1);
        return;
      case WriteOp.EndMultiply:
        // the grown layer is complete; the input fades out over its start like an overdub's end, so the
        // seam where it wraps is crossfaded (a new pass for a session writer)
        tr.writeMode = WriteMode.Overdub;
        tr.wLoop = a;
        tr.wLen = b;
        tr.wAnchor = c;
        tr.wBegin = t;
        this.rampWrite(tr, 0);
        return;
    }
  }

  private rampWrite(tr: Track, target: number): void {
    const x = this.crossfadeFrames;
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
    const x = this.crossfadeFrames;
    if (x === 0) return;
    const m = this.arena.memory;
    const o = t - this.frame; // frames of this block's input that precede t
    const fromHistory = Math.max(0, x - o);
    if (fromHistory > 0) m.copyWithin(tr.preroll, this.history + (x - fromHistory) * 2, this.history + x * 2);
    const fromBlock = x - fromHistory;
    if (fromBlock > 0) m.copyWithin(tr.preroll + fromHistory * 2, this.inputBus + (o - fromBlock) * 2, this.inputBus + o * 2);
  }

  private fillFade(n: number): void {
    const m = this.arena.memory;
    for (let q = 0; q < n; q++) m[this.fadeTable + q] = 0.5 - 0.5 * Math.cos((Math.PI * (q + 1)) / (n + 1));
  }

  private undo(tr: Track, t: number): void {
    this.cancelPending(tr);
    if (tr.state === State.Multiplying) {
      // not doing the multiply: the old loop never stopped playing
      this.cancelWrites(tr);
      this.arena.free(tr.recLoop, tr.recCapacityFrames * 2);
      tr.recLoop = -1;
      tr.state = State.Playing;
      this.updateGains(tr, this.crossfadeFrames);
      this.events.push(EventType.State, tr.number, t, State.Playing, this.loopFrames(tr));
      return;
    }
    if (tr.state === State.Recording) {
      this.cancelWrites(tr);
      this.arena.free(tr.recLoop, tr.recCapacityFrames * 2);
      tr.recLoop = -1;
      this.restoreAfterCancel(tr, t);
      return;
    }
    const passOpen = tr.writeMode === WriteMode.Overdub;
    const passWaiting = tr.hasOp(WriteOp.StartOverdub);
    this.cancelWrites(tr);
    if (tr.state === State.Overdubbing || tr.state === State.Replacing) {
      tr.state = State.Playing;
      this.updateGains(tr, this.crossfadeFrames);
    }
    if (passWaiting && !passOpen) {
      // the pass had not begun writing: undoing it is just not doing it
      this.events.push(EventType.State, tr.number, t, tr.state, this.loopFrames(tr));
      return;
    }
    if (tr.layerIndex < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.NothingToUndo, Cmd.Undo);
      return;
    }
    this.selectLayer(tr, tr.layerIndex - 1, t);
  }

  private redo(tr: Track, t: number): void {
    this.cancelPending(tr);
    if (tr.state === State.Recording || tr.state === State.Multiplying || tr.layerIndex + 1 >= tr.layerCount) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.NothingToRedo, Cmd.Redo);
      return;
    }
    this.cancelWrites(tr);
    if (tr.state === State.Overdubbing || tr.state === State.Replacing) tr.state = State.Playing;
    this.selectLayer(tr, tr.layerIndex + 1, t);
  }

  /** Switches the playing layer with a crossfade (undo/redo); index -1 empties the track. */
  private selectLayer(tr: Track, index: number, t: number): void {
    this.fadeToGhost(tr);
    tr.layerIndex = index;
    if (index < 0) {
      tr.state = State.Empty;
      tr.main.active = false;
      if (this.masterTrack === tr.number) this.pickMaster();
    } else {
      if (tr.state === State.Empty) tr.state = State.Playing;
      this.setVoice(tr.main, tr.layerLoop[index], tr.layerLen[index], tr.layerAnchor[index]);
      tr.main.gl = 0;
      tr.main.gr = 0;
      this.updateGains(tr, this.crossfadeFrames);
      if (this.masterTrack === 0) this.masterTrack = tr.number;
    }
    this.events.push(EventType.State, tr.number, t, tr.state, this.loopFrames(tr));
    this.events.push(EventType.Layers, tr.number, t, tr.layerIndex + 1, tr.layerCount - tr.layerIndex - 1);
  }

  /** After a cancelled recording: back to the previous loop, or empty. */
  private restoreAfterCancel(tr: Track, t: number): void {
    if (tr.hasLoop) {
      tr.state = State.Playing;
      this.setVoice(tr.main, tr.layerLoop[tr.layerIndex], tr.layerLen[tr.layerIndex], tr.layerAnchor[tr.layerIndex]);
      tr.main.gl = 0;
      tr.main.gr = 0;
      this.updateGains(tr, this.crossfadeFrames);
    } else {
      tr.state = State.Empty;
    }
    this.events.push(EventType.State, tr.number, t, tr.state, this.loopFrames(tr));
  }

  private clear(tr: Track, t: number): void {
    this.cancelPending(tr);
    this.cancelWrites(tr);
    tr.oneShotEnd = -1;
    if (tr.state === State.Recording || tr.state === State.Multiplying) {
      this.arena.free(tr.recLoop, tr.recCapacityFrames * 2);
      tr.recLoop = -1;
    }
    this.fadeToGhost(tr);
    for (let i = 0; i < tr.layerCount; i++) {
      // the ghost still fades out the current layer: it frees that one when done
      if (tr.ghost.active && tr.layerLoop[i] === tr.ghost.loop) tr.ghost.ownedFloats = tr.layerLen[i] * 2;
      else this.arena.free(tr.layerLoop[i], tr.layerLen[i] * 2);
    }
    tr.layerCount = 0;
    tr.layerIndex = -1;
    tr.state = State.Empty;
    if (this.masterTrack === tr.number) this.pickMaster();
    this.events.push(EventType.State, tr.number, t, State.Empty, 0);
    this.events.push(EventType.Layers, tr.number, t, 0, 0);
  }

  // ---------------------------------------------------------------- helpers

  private loopFrames(tr: Track): number {
    return tr.hasLoop ? tr.layerLen[tr.layerIndex] : 0;
  }

  private anyLoopOrRecording(): boolean {
    for (let i = 0; i < this.tracks.length; i++) {
      if (this.tracks[i].hasLoop || this.tracks[i].state === State.Recording) return true;
    }
    return false;
  }

  /** The new master is the remaining loop recorded earliest (smallest anchor). */
  private pickMaster(): void {
    this.masterTrack = 0;
    let best = Infinity;
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      if (tr.hasLoop && tr.layerAnchor[tr.layerIndex] < best) {
        best = tr.layerAnchor[tr.layerIndex];
        this.masterTrack = tr.number;
      }
    }
  }

  private setVoice(v: Voice, loop: number, len: number, anchor: number): void {
    v.loop = loop;
    v.len = len;
    v.anchor = anchor;
    v.active = true;
  }

  /** Hands the main voice to the ghost, fading out, so the main voice can start something new. */
  private fadeToGhost(tr: Track): void {
    if (!tr.main.active || tr.main.silent) {
      tr.main.active = false;
      return;
    }
    if (tr.ghost.active) this.retireGhost(tr);
    tr.ghost.copyFrom(tr.main);
    tr.ghost.setTarget(0, 0, this.crossfadeFrames);
    if (tr.ghost.silent) tr.ghost.active = false;
    tr.main.active = false;
    tr.main.gl = 0;
    tr.main.gr = 0;
    tr.main.rampLen = 0;
  }

  private retireGhost(tr: Track): void {
    if (tr.ghost.ownedFloats > 0) this.arena.free(tr.ghost.loop, tr.ghost.ownedFloats);
    tr.ghost.ownedFloats = 0;
    tr.ghost.active = false;
  }

  /** Gains follow state, volume, pan (equal power, unity at centre), mute and solo. */
  private updateGains(tr: Track, fadeFrames: number): void {
    let anySolo = false;
    for (let i = 0; i < this.tracks.length; i++) anySolo = anySolo || this.tracks[i].soloed;
    const s = tr.state;
    const audible =
      (s === State.Playing || s === State.Overdubbing || s === State.Multiplying || s === State.OneShot) && !tr.muted && (!anySolo || tr.soloed);
    const g = audible ? tr.volume : 0;
    tr.main.setTarget(f(g * panLeft(tr.pan)), f(g * panRight(tr.pan)), fadeFrames);
  }

  private cancelPending(tr: Track): void {
    tr.pendCount = 0;
  }

  private cancelWrites(tr: Track): void {
    tr.opCount = 0;
    tr.writeMode = WriteMode.None;
    tr.w = 0;
    tr.wRampLen = 0;
  }

  /** Frees the layers above the current one (a new pass replaces what redo would bring back). */
  private truncateRedo(tr: Track): void {
    for (let i = tr.layerIndex + 1; i < tr.layerCount; i++) this.freeLayerRegion(tr, i);
    tr.layerCount = tr.layerIndex + 1;
  }

  private pushLayer(tr: Track, loop: number, len: number, anchor: number): boolean {
    if (tr.layerCount === MAX_LAYERS) {
      // drop the oldest undo step of this track
      this.freeLayerRegion(tr, 0);
      tr.layerLoop.copyWithin(0, 1, tr.layerCount);
      tr.layerLen.copyWithin(0, 1, tr.layerCount);
      tr.layerAnchor.copyWithin(0, 1, tr.layerCount);
      tr.layerId.copyWithin(0, 1, tr.layerCount);
      tr.layerCount--;
      tr.layerIndex--;
    }
    const i = tr.layerCount++;
    tr.layerLoop[i] = loop;
    tr.layerLen[i] = len;
    tr.layerAnchor[i] = anchor;
    tr.layerId[i] = this.nextLayerId++;
    tr.layerIndex = i;
    return true;
  }

  private freeLayerRegion(tr: Track, i: number): void {
    if (tr.ghost.active && tr.ghost.loop === tr.layerLoop[i]) this.retireGhost(tr);
    this.arena.free(tr.layerLoop[i], tr.layerLen[i] * 2);
  }

  /** Allocates a layer, dropping the oldest undo steps (redo steps first) while memory is short. */
  private allocLayer(floats: number): number {
    let at = this.arena.alloc(floats);
    while (at < 0 && this.reclaimOne()) at = this.arena.alloc(floats);
    return at;
  }

  /** Frees one undo or redo layer that nothing plays. Returns false when there is none. */
  private reclaimOne(): boolean {
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      if (tr.layerCount > tr.layerIndex + 1 && tr.writeMode === WriteMode.None) {
        this.freeLayerRegion(tr, tr.layerCount - 1);
        tr.layerCount--;
        return true;
      }
    }
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      // a multiply's write side may still read the layer below the current one
      if (tr.layerIndex > 0 && tr.writeMode !== WriteMode.Multiply) {
        this.freeLayerRegion(tr, 0);
        tr.layerLoop.copyWithin(0, 1, tr.layerCount);
        tr.layerLen.copyWithin(0, 1, tr.layerCount);
        tr.layerAnchor.copyWithin(0, 1, tr.layerCount);
        tr.layerId.copyWithin(0, 1, tr.layerCount);
        tr.layerCount--;
        tr.layerIndex--;
        return true;
      }
    }
    return false;
  }
}

const NO_OP = -1;
const NO_LOOP = -2;

/** A pass that writes into the loop (it ends before anything else starts). */
const isPass = (s: State): boolean => s === State.Overdubbing || s === State.Multiplying || s === State.Replacing;

/**
 * What a pedal press does, given the state the track will be in when it lands (DESIGN.md §3, README):
 * a target State, with the RETRIGGER bit when the loop restarts from position 0.
 */
function resolveTarget(cmd: Cmd, s: State): number {
  switch (cmd) {
    case Cmd.Record:
      if (s === State.Multiplying || s === State.Replacing) return State.Playing;
      return s === State.Recording ? State.Playing : State.Recording;
    case Cmd.Overdub:
      if (s === State.Empty) return State.Recording;
      return isPass(s) ? State.Playing : State.Overdubbing;
    case Cmd.Play:
      if (s === State.Empty) return NO_LOOP;
      return s === State.Playing ? NO_OP : State.Playing;
    case Cmd.Stop:
      return s === State.Empty || s === State.Stopped ? NO_OP : State.Stopped;
    case Cmd.Toggle:
      if (s === State.Empty) return State.Recording;
      return s === State.Playing || s === State.OneShot ? State.Overdubbing : State.Playing;
    case Cmd.Multiply:
      if (s === State.Empty) return NO_LOOP;
      if (s === State.Multiplying) return State.Playing;
      return s === State.Stopped || s === State.Replacing ? NO_OP : State.Multiplying;
    case Cmd.Replace:
      if (s === State.Empty) return NO_LOOP;
      if (s === State.Replacing) return State.Playing;
      return s === State.Playing || s === State.OneShot || s === State.Overdubbing ? State.Replacing : NO_OP;
    case Cmd.OneShot:
      if (s === State.Empty) return NO_LOOP;
      return s === State.Recording || isPass(s) ? NO_OP : State.OneShot | RETRIGGER;
    case Cmd.Retrigger:
      if (s === State.Empty) return NO_LOOP;
      return s === State.Recording || isPass(s) ? NO_OP : State.Playing | RETRIGGER;
    default:
      return NO_OP;
  }
}

// Equal-power pan scaled to unity at the centre: L^2 + R^2 = 2 at every position, and a loop at pan 0
// plays exactly as recorded.
export function panLeft(pan: number): number {
  return pan === 0 ? 1 : panLaw(Math.cos(((pan + 1) * Math.PI) / 4));
}
export function panRight(pan: number): number {
  return pan === 0 ? 1 : panLaw(Math.sin(((pan + 1) * Math.PI) / 4));
}
function panLaw(x: number): number {
  const g = x * Math.SQRT2;
  return g < 1e-7 ? 0 : f(g);
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}
