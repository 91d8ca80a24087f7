import { Arena } from './arena';
import { CommandQueue } from './command-queue';
import { EventRing } from './events';
import { Gains } from './gains';
import { Layers } from './layers';
import { Metronome } from './metronome';
import { Routing, SOURCE_ALL, hasSource } from './routing';
import { Track, Voice, WriteMode, WriteOp, WriteProgress, STATE_MASK, mod } from './track';
import { Transforms } from './transforms';
import { Transitions } from './transitions';
import { Transport } from './transport';
import { Cmd, EngineOptions, ErrorCode, EventType, Quantize, QUANTIZE_MODES, State, isPerLoopSetting, isTrackCommand } from './types';
import { WriteSide } from './write-side';
import { bindKernels, DspBackend, Kernels } from '../dsp';

export { panLeft, panRight } from './gains';

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
//
// The parts, each in its own file: the command queue, the metronome, the track state machine
// (transitions), the write side, the undo layers and their memory, the loop transforms, and the
// track gains and voices. This file holds the block loop (process, applyDue, nextSplit) and the
// public API.

const f = Math.fround;
const QUEUE_CAPACITY = 256;
const EVENT_CAPACITY = 4096;

export interface TrackInfo {
  track: number;
  state: State;
  frames: number;
  /** position of the loop at the engine's current frame (0 when empty) */
  position: number;
  /** paused: the loop stands still at `position` and plays on from there */
  paused: boolean;
  layers: number;
  layer: number;
  volume: number;
  pan: number;
  muted: boolean;
  soloed: boolean;
  master: boolean;
  /** a live loop (deleted tracks are free: addLoop takes them) */
  live: boolean;
  quantize: Quantize;
  feedback: number;
  inputGain: number;
  /** the input source it records (a source code, lib/engine/routing.ts) */
  source: number;
  /** the cue send's bus (0 = none) and gain */
  cueBus: number;
  cueSend: number;
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

  /** quantize, feedback and inputGain: what a loop takes when it is added (each loop has its own) */
  quantize: Quantize;
  crossfadeFrames: number;
  inputLatencyFrames: number;
  feedback: number;
  monitor: boolean;
  monitorVolume: number;
  masterVolume: number;
  /** scales the monitored input, and is the input gain a loop takes when it is added */
  inputGain: number;
  softLimit: boolean;
  /** 1-based number of the master track, 0 when no loop exists */
  masterTrack = 0;
  /** channels of the input, stereo buses of the output (docs/routing.md) */
  readonly inputChannels: number;
  readonly outputBuses: number;
  metronomeBus: number;
  monitorBus: number;
  monitorInput: number;

  // Arena regions (float offsets).
  readonly inputBus: number;
  readonly mixBus: number;
  readonly clickBus: number;
  /** [inPeakL, inPeakR, outPeakL, outPeakR] of the last block: the monitored source, bus 1 */
  readonly meters: number;
  /** the peak of each input channel in the last block (inputChannels floats) */
  readonly inputMeters: number;
  /** per track [peakL, peakR, sumOfSquaresL, sumOfSquaresR] of the last block, then 4 floats of scratch; -1 without trackMeters */
  readonly trackMeters: number;
  /** int16 interleaved device blocks (maxBlockFrames frames of the input's and the output's channels), see pcmInView/pcmOutView */
  private readonly pcmIn: number;
  private readonly pcmOut: number;
  /** the block's input times inputGain, monitored (the input bus itself stays as the device gave it) */
  private readonly gainedInput: number;

  private readonly inputView_: Float32Array;
  private readonly outputView_: Float32Array;
  private readonly pcmInView_: Int16Array;
  private readonly pcmOutView_: Int16Array;

  private readonly queue = new CommandQueue(QUEUE_CAPACITY);
  private readonly metronome: Metronome;
  private readonly layers: Layers;
  private readonly gains: Gains;
  private readonly writes: WriteSide;
  private readonly transforms: Transforms;
  private readonly transitions: Transitions;
  private readonly routing: Routing;
  /** frames of the block being processed (a source chosen mid-block is derived for all of them) */
  private blockFrames = 0;

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
    this.inputChannels = options.inputChannels;
    this.outputBuses = options.outputBuses;
    this.metronomeBus = options.metronomeBus;
    this.monitorBus = options.monitorBus;
    this.monitorInput = options.monitorInput;
    if (!hasSource(this.monitorInput, this.inputChannels)) throw new RangeError(`monitorInput ${this.monitorInput} is not a source of ${this.inputChannels} input channels`);
    for (const [k, bus] of [['metronomeBus', this.metronomeBus], ['monitorBus', this.monitorBus]] as const) {
      if (!(Number.isInteger(bus) && bus >= 1 && bus <= this.outputBuses)) throw new RangeError(`${k} ${bus} is not a bus of ${this.outputBuses}`);
    }

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
    const channels = this.inputChannels;
    const inputFloats = Routing.inputFloats(this.maxBlockFrames, channels);
    this.inputBus = reserve(inputFloats);
    this.mixBus = reserve(block);
    this.clickBus = reserve(block);
    const history = reserve((xf / 2) * channels);
    const fadeTable = reserve(xf);
    this.meters = reserve(6);
    this.inputMeters = reserve(channels);
    this.trackMeters = options.trackMeters ? reserve(4 * options.tracks + 4) : -1;
    this.pcmIn = reserve(inputFloats / 2);
    this.pcmOut = reserve(this.maxBlockFrames * this.outputBuses);
    this.routing = new Routing(this.dsp, reserve, this.inputBus, this.mixBus, this.maxBlockFrames, channels, this.outputBuses);
    this.gainedInput = reserve(block);
    const trackInput = reserve(block);
    this.metronome = new Metronome(options, this.transport, this.events, this.dsp, this.arena, reserve, this.clickBus, this.maxBlockFrames);
    // with cue buses every track has its own bus, so it can be sent to two of them
    const ownBus = options.stems || this.outputBuses > 1;
    for (let i = 1; i <= options.tracks; i++) {
      const t = new Track(i, reserve(xf), ownBus ? reserve(block) : -1);
      t.live = i <= (options.loops ?? options.tracks);
      this.resetLoopSettings(t);
      this.tracks.push(t);
    }
    const inputSamples = this.maxBlockFrames * channels;
    const outputSamples = block * this.outputBuses;
    this.inputView_ = this.arena.memory.subarray(this.inputBus, this.inputBus + inputSamples);
    this.outputView_ = this.arena.memory.subarray(this.routing.output, this.routing.output + outputSamples);
    const bytes = this.arena.memory.buffer;
    this.pcmInView_ = new Int16Array(bytes, this.pcmIn * 4, inputSamples);
    this.pcmOutView_ = new Int16Array(bytes, this.pcmOut * 4, outputSamples);

    this.layers = new Layers(this.arena, this.tracks);
    this.gains = new Gains(this.tracks, this.layers, this);
    this.writes = new WriteSide(this.arena, this.dsp, this.events, this.layers, this, this.inputBus, history, fadeTable, trackInput, this.meters + 4, channels);
    this.transforms = new Transforms(this.arena, this.events, this.layers, this.gains, this, this.maxBlockFrames);
    this.transitions = new Transitions(this, this.arena, this.events, this.tracks, this.metronome, this.layers, this.writes, this.gains, this.transforms);
  }

  get memory(): Float32Array {
    return this.arena.memory;
  }

  /** Which DSP kernels run: 'wasm' (WebAssembly SIMD) or 'js'. */
  get dspBackend(): DspBackend {
    return this.dsp.backend;
  }

  /** Whether the click sounds (the metronome command turns it off and on; beats go on either way). */
  get metronomeEnabled(): boolean {
    return this.metronome.enabled;
  }

  /** Where the host writes a block of input, inputChannels interleaved (valid until the arena is replaced). */
  inputView(): Float32Array {
    return this.inputView_;
  }

  /** Where process() leaves the block's output: the outputBuses stereo buses interleaved (bus b on channels 2b-1, 2b). */
  outputView(): Float32Array {
    return this.outputView_;
  }

  /** Where the host writes a block of int16 interleaved device input (inputChannels), then calls decodeInput(). */
  pcmInView(): Int16Array {
    return this.pcmInView_;
  }

  /** Where encodeOutput() leaves the block's int16 interleaved output for the device (2 * outputBuses channels). */
  pcmOutView(): Int16Array {
    return this.pcmOutView_;
  }

  /** A track's stem of the last block (tracks' playback only), when the engine was built with stems. */
  stemView(track: number): Float32Array {
    const t = this.tracks[track - 1];
    if (t.stem < 0) throw new Error('the engine was created without stems');
    return this.arena.memory.subarray(t.stem, t.stem + this.maxBlockFrames * 2);
  }

  /** One output bus of the last block (1-based; bus 1 is the main mix), interleaved stereo. */
  busView(bus: number): Float32Array {
    if (!(bus >= 1 && bus <= this.outputBuses)) throw new RangeError(`bus ${bus}: the engine has buses 1..${this.outputBuses}`);
    const at = this.routing.busAt[bus - 1];
    return this.arena.memory.subarray(at, at + this.maxBlockFrames * 2);
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
    if (this.queue.insert(Math.max(frame, this.frame), cmd, track, value)) return true;
    this.events.push(EventType.Error, track, this.frame, ErrorCode.QueueFull, cmd);
    return false;
  }

  /**
   * Loads a loop into a track between blocks (session restore, import, benchmarks): interleaved stereo,
   * playing from `anchor` (its position at frame t is (t - anchor) mod frames). Returns false when it
   * does not fit in the memory budget.
   */
  loadLoop(track: number, data: Float32Array, anchor: number, playing = true): boolean {
    const t = this.tracks[track - 1];
    this.transforms.complete(t);
    const frames = data.length / 2;
    const at = this.layers.alloc(frames * 2);
    if (at < 0 || frames < 1) return false;
    // a loop loaded into a free track makes it a loop
    if (!t.live) this.addLoop(t, this.frame);
    this.arena.memory.set(data, at);
    t.cancelPending();
    this.writes.cancel(t);
    t.pausedAt = -1;
    t.cycleFrames = frames;
    this.layers.truncateRedo(t);
    this.layers.push(t, at, frames, anchor);
    t.main.setLoop(at, frames, anchor);
    t.state = playing ? State.Playing : State.Stopped;
    this.gains.update(t, 0);
    if (this.masterTrack === 0) this.masterTrack = t.number;
    this.events.push(EventType.State, t.number, this.frame, t.state, frames);
    return true;
  }

  /**
   * Makes a track a live loop or frees it between blocks (session restore), as addLoop and deleteLoop
   * would at the next block: a track made live takes a fresh mixer and the engine's per-loop settings.
   * Only an empty track is freed. Control side. Returns whether the track is `live` now as asked.
   */
  setLive(track: number, live: boolean): boolean {
    const t = this.tracks[track - 1];
    if (t.live === live) return true;
    if (live) this.addLoop(t, this.frame);
    else if (t.layerCount > 0 || t.state !== State.Empty) return false;
    else this.deleteLoop(t, this.frame);
    return true;
  }

  /** A copy of a track's current loop (interleaved stereo), or null when empty. Control side. */
  loopData(track: number): Float32Array | null {
    const t = this.tracks[track - 1];
    this.transforms.complete(t);
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
    // an insert is no pass a session writer captures: its layer is saved once complete
    out.mode = t.writeMode === WriteMode.Insert ? WriteMode.None : t.writeMode;
    out.began = t.wBegin;
    if (out.mode === WriteMode.None) {
      out.loop = -1;
      out.len = 0;
      out.startPos = 0;
      out.framesWritten = 0;
    } else {
      // a multiply pass fills its own region from position 0, like a recording (the part before the pass
      // began was copied in when it began)
      const multiply = t.writeMode === WriteMode.Multiply;
      const record = t.writeMode === WriteMode.Record || multiply;
      out.mode = record ? WriteMode.Record : t.writeMode;
      out.loop = t.wLoop;
      out.len = record ? 0 : t.wLen;
      out.startPos = record ? 0 : mod(t.wBegin - this.inputLatencyFrames - t.wAnchor, t.wLen);
      out.framesWritten = multiply ? this.frame - this.inputLatencyFrames - t.wAnchor : this.frame - t.wBegin;
    }
    return out;
  }

  trackInfo(track: number): TrackInfo {
    const t = this.tracks[track - 1];
    const frames = t.state === State.Multiplying ? this.growingFrames(t) : t.lengthFrames;
    return {
      track: t.number,
      state: t.state,
      frames,
      position: this.position(t),
      paused: t.pausedAt >= 0,
      layers: t.layerCount,
      layer: t.layerIndex,
      volume: t.volume,
      pan: t.pan,
      muted: t.muted,
      soloed: t.soloed,
      master: this.masterTrack === t.number,
      live: t.live,
      quantize: t.quantize,
      feedback: t.feedback,
      inputGain: t.inputGain,
      source: t.source,
      cueBus: t.cueBus,
      cueSend: t.cueSend,
    };
  }

  /** A multiply's length so far: a unit more each time it passes a unit's end (SooperLooper's cycles), within its region. */
  private growingFrames(t: Track): number {
    const units = Math.floor((this.frame - t.recStart) / t.mulUnit) + 1;
    return Math.min(units, Math.max(1, Math.floor(t.recCapacityFrames / t.mulUnit))) * t.mulUnit;
  }

  /**
   * Where a track's loop is now: still while paused or inserting; a multiply counts in the layer it
   * grows (past the old length while it grows), and hit again in its new length.
   */
  private position(t: Track): number {
    if (!t.hasLoop) return 0;
    if (t.state === State.Inserting) return t.insertPos;
    if (t.state === State.Multiplying) return this.frame - t.recStart;
    if (t.mulEnd >= 0) return mod(this.frame - t.recStart, t.lengthFrames);
    const anchor = t.layerAnchor[t.layerIndex];
    return mod((t.pausedAt >= 0 ? t.pausedAt : this.frame) - anchor, t.loopFrames);
  }

  /** The first boundary at or after frame, of a quantize mode (default: the engine's, what new loops take). */
  boundary(frame: number, quantize = this.quantize): number {
    switch (quantize) {
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

  // ---------------------------------------------------------------- real-time side

  /** pcmInView() -> inputView() as float (x / 32768), before process(). Allocates nothing. */
  decodeInput(frames: number): void {
    this.checkFrames('decodeInput', frames);
    this.dsp.fromInt16(this.pcmIn, this.inputBus, Math.ceil((frames * this.inputChannels) / 2));
  }

  /** outputView() -> pcmOutView() as int16 (x * 32767, clamped, NaN -> 0), after process(). Allocates nothing. */
  encodeOutput(frames: number): void {
    this.checkFrames('encodeOutput', frames);
    this.dsp.toInt16(this.routing.output, frames * this.outputBuses, this.pcmOut);
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
    const args = this.dspArgs;
    const routing = this.routing;
    this.blockFrames = frames;
    routing.deriveAll(this.tracks, this.monitorInput, frames);
    // the monitor bus is written over segment by segment (monitorSegment); the other buses start silent
    const monitorBus = routing.busAt[this.monitorBus - 1];
    for (let b = 0; b < this.outputBuses; b++) if (routing.busAt[b] !== monitorBus) this.dsp.zero(routing.busAt[b], frames);
    // per input channel (which input the guitar is on); a stereo engine monitoring "all" has them in the
    // monitor's meters already (after the input gain, as its input level always was): no extra pass
    m.fill(0, this.inputMeters, this.inputMeters + this.inputChannels);
    const stereoAll = this.inputChannels === 2 && this.monitorInput === SOURCE_ALL;
    if (!stereoAll) this.dsp.channelPeaks(this.inputBus, frames, this.inputChannels, this.inputMeters);
    if (this.trackMeters >= 0) m.fill(0, this.trackMeters, this.trackMeters + 4 * this.tracks.length);
    this.metronome.beginBlock();
    for (let i = 0; i < this.tracks.length; i++) if (this.tracks[i].stem >= 0) this.dsp.zero(this.tracks[i].stem, frames);
    this.transforms.fillPerBlock(this.tracks);

    let t = start;
    while (t < end) {
      this.applyDue(t);
      const next = Math.min(end, this.nextSplit());
      this.monitorSegment(t - start, next - t);
      this.renderSegment(t, next, start);
      t = next;
    }

    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      if (tr.stem < 0) continue;
      args[0] = 1;
      this.dsp.addScaled(this.mixBus, tr.stem, frames);
      if (tr.cueBus > 0) {
        args[0] = tr.cueSend;
        this.dsp.addScaled(routing.busAt[tr.cueBus - 1], tr.stem, frames);
      }
    }
    if (stereoAll) {
      m[this.inputMeters] = m[this.meters];
      m[this.inputMeters + 1] = m[this.meters + 1];
    }
    this.metronome.endBlock(routing.busAt[this.metronomeBus - 1], frames);
    // master volume on the main bus only; every bus is limited (a cue mix is a device output too)
    args[0] = this.masterVolume;
    this.dsp.masterOut(this.mixBus, frames, this.softLimit, this.meters + 2);
    args[0] = 1;
    // (their peaks go to the scratch slots: the meters report bus 1)
    for (let b = 1; b < this.outputBuses; b++) this.dsp.masterOut(routing.busAt[b], frames, this.softLimit, this.meters + 4);
    routing.interleave(frames);
    this.writes.keepHistory(frames);
    this.frame = end;
  }

  /** Applies every command, pending action and write-side operation due at frame t. */
  private applyDue(t: number): void {
    const q = this.queue;
    while (q.count > 0 && q.headFrame() <= t) {
      q.shift();
      if (q.cmd === Cmd.AddLoop) this.addLoopCommand(q.track, t);
      else if (isTrackCommand(q.cmd) || (isPerLoopSetting(q.cmd) && q.track !== 0)) {
        if (q.track < 1 || q.track > this.tracks.length) continue;
        const tr = this.tracks[q.track - 1];
        if (!tr.live) this.events.push(EventType.Error, tr.number, t, ErrorCode.NotALoop, q.cmd);
        else if (isTrackCommand(q.cmd)) this.trackCommand(tr, q.cmd, t, q.value);
        else this.loopSetting(tr, q.cmd, q.value);
      } else this.globalCommand(q.cmd, t, q.value);
    }
    this.metronome.applyDue(t);
    const machine = this.transitions;
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      while (tr.pendCount > 0 && tr.pendFrame[0] <= t) {
        const target = tr.pendTarget[0];
        tr.shiftPending();
        machine.perform(tr, (target & STATE_MASK) as State, t, target & ~STATE_MASK);
      }
      if (tr.state === State.Recording && tr.recStart + tr.recCapacityFrames <= t) {
        this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, Cmd.Record);
        tr.cancelPending();
        machine.perform(tr, State.Playing, t);
      }
      if ((tr.state === State.Multiplying || tr.state === State.Inserting) && machine.multiplyLimit(tr) <= t) {
        // the region is full: the loop ends at the last whole unit that fits
        this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, tr.state === State.Inserting ? Cmd.Insert : Cmd.Multiply);
        tr.cancelPending();
        machine.perform(tr, State.Playing, t);
      }
      if (tr.mulEnd >= 0 && tr.mulEnd <= t) machine.completeMultiply(tr, t);
      if (tr.state === State.OneShot && tr.oneShotEnd <= t) machine.endOneShot(tr, t);
      while (tr.opCount > 0 && tr.opFrame[0] <= t) {
        const kind = tr.opKind[0] as WriteOp;
        const region = tr.opRegion[0];
        const frames = tr.opFrames[0];
        const anchor = tr.opAnchor[0];
        tr.shiftOp();
        this.writes.apply(tr, kind, region, frames, anchor, t);
      }
    }
  }

  /** The next frame after the current one at which something must happen. */
  private nextSplit(): number {
    let next = this.metronome.nextSplit(this.queue.headFrame());
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      if (tr.pendCount > 0 && tr.pendFrame[0] < next) next = tr.pendFrame[0];
      if (tr.opCount > 0 && tr.opFrame[0] < next) next = tr.opFrame[0];
      if (tr.state === State.Recording && tr.recStart + tr.recCapacityFrames < next) next = tr.recStart + tr.recCapacityFrames;
      const growing = tr.state === State.Multiplying || tr.state === State.Inserting;
      if (growing && this.transitions.multiplyLimit(tr) < next) next = this.transitions.multiplyLimit(tr);
      if (tr.mulEnd >= 0 && tr.mulEnd < next) next = tr.mulEnd;
      if (tr.state === State.OneShot && tr.oneShotEnd < next) next = tr.oneShotEnd;
    }
    return next;
  }

  /**
   * The monitor bus's segment at block offset o starts as the monitored input: the monitor's source
   * times the engine's input gain (the gain pass meters into the scratch slots 4, 5), times the monitor
   * volume. The input bus itself stays as the device gave it: each loop records it times its own gain.
   */
  private monitorSegment(o: number, n: number): void {
    const args = this.dspArgs;
    let monitored = this.routing.sourceBus(this.monitorInput) + o * 2;
    if (this.inputGain !== 1) {
      args[0] = this.inputGain;
      this.dsp.monitorIn(this.gainedInput + o * 2, monitored, n, this.meters + 4);
      monitored = this.gainedInput + o * 2;
    }
    args[0] = this.monitor ? this.monitorVolume : 0;
    this.dsp.monitorIn(this.routing.busAt[this.monitorBus - 1] + o * 2, monitored, n, this.meters);
  }

  private renderSegment(a: number, b: number, blockStart: number): void {
    const o = a - blockStart;
    const n = b - a;
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      const bus = (tr.stem >= 0 ? tr.stem : this.mixBus) + o * 2;
      // play before write: an overdub pass plays the loop as it was, the input is heard through the monitor
      this.renderVoice(tr.main, bus, a, n);
      if (this.trackMeters >= 0) this.meterVoice(tr, a, n);
      if (tr.ghost.active) {
        this.renderVoice(tr.ghost, bus, a, n);
        if (tr.ghost.silent) this.layers.retireGhost(tr);
      }
      this.writes.render(tr, a, o, n);
    }
    this.metronome.render(a, b, blockStart);
  }

  /** Adds the main voice's segment to the track's meter, at the gains it ends with. */
  private meterVoice(tr: Track, t: number, n: number): void {
    const v = tr.main;
    if (!v.active || v.silent) return;
    const m = this.arena.memory;
    const scratch = this.trackMeters + 4 * this.tracks.length;
    m.fill(0, scratch, scratch + 4);
    this.dsp.loopLevels(v.loop, v.len, mod(t - v.anchor, v.len), n, scratch);
    const at = this.trackMeters + 4 * (tr.number - 1);
    const gl = Math.abs(v.gl);
    const gr = Math.abs(v.gr);
    m[at] = Math.max(m[at], m[scratch] * gl);
    m[at + 1] = Math.max(m[at + 1], m[scratch + 1] * gr);
    m[at + 2] += m[scratch + 2] * gl * gl;
    m[at + 3] += m[scratch + 3] * gr * gr;
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

  // ---------------------------------------------------------------- commands (applied at frame t)

  private globalCommand(cmd: Cmd, t: number, value: number): void {
    switch (cmd) {
      case Cmd.Bpm:
      case Cmd.BeatsPerBar:
      case Cmd.Downbeat:
      case Cmd.Metronome:
      case Cmd.MetronomeVolume:
        this.metronome.command(cmd, t, value);
        break;
      case Cmd.Quantize:
      case Cmd.Feedback:
      case Cmd.InputGain:
        // every loop's, and what a loop added later takes
        if (cmd === Cmd.Quantize) this.quantize = value as Quantize;
        else if (cmd === Cmd.Feedback) this.feedback = f(value);
        else this.inputGain = f(value);
        for (let i = 0; i < this.tracks.length; i++) this.loopSetting(this.tracks[i], cmd, value);
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
      case Cmd.MetronomeBus:
      case Cmd.MonitorBus:
        if (!(value >= 1 && value <= this.outputBuses)) this.events.push(EventType.Error, 0, t, ErrorCode.NoSuchChannel, cmd);
        else if (cmd === Cmd.MetronomeBus) this.metronomeBus = value;
        else if (value !== this.monitorBus) {
          // the old monitor bus is no longer written over for the rest of the block: silence it from t on
          const o = t - this.frame;
          this.dsp.zero(this.routing.busAt[this.monitorBus - 1] + o * 2, this.blockFrames - o);
          this.monitorBus = value;
        }
        break;
      case Cmd.MonitorInput:
        if (!hasSource(value, this.inputChannels)) this.events.push(EventType.Error, 0, t, ErrorCode.NoSuchChannel, cmd);
        else {
          // sample-exact, as the monitor is applied per segment: the new source's bus is derived for the block
          this.monitorInput = value;
          this.routing.derive(value, this.blockFrames);
        }
        break;
    }
  }

  /** One loop's quantize, feedback or input gain: sample-exact from frame t on. */
  private loopSetting(tr: Track, cmd: Cmd, value: number): void {
    if (cmd === Cmd.Quantize) tr.quantize = value as Quantize;
    else if (cmd === Cmd.Feedback) tr.feedback = f(value);
    else tr.inputGain = f(value);
  }

  private resetLoopSettings(tr: Track): void {
    tr.quantize = this.quantize;
    tr.feedback = this.feedback;
    tr.inputGain = this.inputGain;
  }

  /** addLoop: track 0 takes the first free track; a track that is a loop already stays as it is. */
  private addLoopCommand(track: number, t: number): void {
    if (track === 0) {
      for (let i = 0; i < this.tracks.length; i++) {
        if (!this.tracks[i].live) return this.addLoop(this.tracks[i], t);
      }
      this.events.push(EventType.Error, 0, t, ErrorCode.NoFreeTrack, Cmd.AddLoop);
    } else if (track <= this.tracks.length && !this.tracks[track - 1].live) this.addLoop(this.tracks[track - 1], t);
  }

  /** A free (empty) track becomes a live loop with a fresh mixer and the engine's per-loop settings. */
  private addLoop(tr: Track, t: number): void {
    tr.live = true;
    tr.volume = 1;
    tr.pan = 0;
    tr.muted = false;
    tr.soloed = false;
    this.resetLoopSettings(tr);
    this.gains.update(tr, 0);
    this.events.push(EventType.Loop, tr.number, t, 1, 0);
  }

  /** Clears the loop (its sound fades out as a clear's does) and frees the track. */
  private deleteLoop(tr: Track, t: number): void {
    this.transitions.clear(tr, t);
    tr.live = false;
    if (tr.soloed) {
      // the other loops come back as a solo ends
      tr.soloed = false;
      this.gains.updateAll(this.crossfadeFrames);
    }
    this.events.push(EventType.Loop, tr.number, t, 0, 0);
  }

  private trackCommand(tr: Track, cmd: Cmd, t: number, value: number): void {
    switch (cmd) {
      case Cmd.Volume:
        tr.volume = value;
        this.gains.update(tr, this.crossfadeFrames);
        return;
      case Cmd.Pan:
        tr.pan = value;
        this.gains.update(tr, this.crossfadeFrames);
        return;
      case Cmd.Mute:
      case Cmd.Unmute:
        tr.muted = cmd === Cmd.Mute;
        this.gains.update(tr, this.crossfadeFrames);
        return;
      case Cmd.Solo:
      case Cmd.Unsolo:
        tr.soloed = cmd === Cmd.Solo;
        this.gains.updateAll(this.crossfadeFrames);
        return;
      case Cmd.Input:
        // sample-exact: the new source's bus is derived for the whole block, the write side reads it from t on
        if (!hasSource(value, this.inputChannels)) this.events.push(EventType.Error, tr.number, t, ErrorCode.NoSuchChannel, cmd);
        else {
          tr.source = value;
          this.routing.derive(value, this.blockFrames);
          tr.sourceBus = this.routing.sourceBus(value);
        }
        return;
      case Cmd.CueBus:
        if (!(value >= 0 && value <= this.outputBuses)) this.events.push(EventType.Error, tr.number, t, ErrorCode.NoSuchChannel, cmd);
        else tr.cueBus = value;
        return;
      case Cmd.CueSend:
        tr.cueSend = f(value);
        return;
    }
    // the mixer's commands above only change gains and leave a transform's layer filling a chunk per
    // block; whatever comes next acts on the transformed loop as a whole, so it completes it first (a
    // whole long loop in one block: the cost incremental filling avoids for a fader move)
    this.transforms.complete(tr);
    switch (cmd) {
      case Cmd.Clear:
        this.transitions.clear(tr, t);
        return;
      case Cmd.DeleteLoop:
        this.deleteLoop(tr, t);
        return;
      case Cmd.Undo:
        this.transitions.undo(tr, t);
        return;
      case Cmd.Redo:
        this.transitions.redo(tr, t);
        return;
      case Cmd.Reverse:
      case Cmd.Half:
      case Cmd.Double:
        this.transitions.settleMultiply(tr, t);
        this.transforms.start(tr, cmd, t);
        return;
      default:
        // record, overdub, play, stop, toggle, multiply, replace, oneshot, retrigger
        this.transitions.command(tr, cmd, t);
    }
  }
}
