import { mod } from '../engine/track';
import { TrackState } from '../engine/types';
import type { HostStatus } from '../io/client';
import type { HostEvent, TrackStatus } from '../io/protocol';

// What a remote controller asks about (state codes, loop length and position, tempo...) answered from
// a mirror of the looper that the host's events keep current, refreshed by 'status' replies. Control
// side, no I/O: the caller feeds events and statuses in and passes the time (ms, monotonic).
//
// Positions: a 'status' gives each loop's position, so the anchor (the frame where the position was 0)
// is exact after every refresh; between refreshes the events move it (a loop's position is 0 at the
// frame its recording ended). A get or an auto-update refreshes a mirror older than 250 ms.

/** SooperLooper's loop state codes (its OSC document and src/looper.cpp). */
export const SlState = {
  Off: 0,
  WaitStart: 1,
  Recording: 2,
  WaitStop: 3,
  Playing: 4,
  Overdubbing: 5,
  Multiplying: 6,
  Inserting: 7,
  Replacing: 8,
  Muted: 10,
  OneShot: 12,
  Substitute: 13,
  Paused: 14,
  OffMuted: 20,
} as const;

const STATE_CODE: Record<TrackState, number> = {
  empty: SlState.Off,
  recording: SlState.Recording,
  playing: SlState.Playing,
  overdubbing: SlState.Overdubbing,
  stopped: SlState.Paused,
  multiplying: SlState.Multiplying,
  replacing: SlState.Replacing,
  oneshot: SlState.OneShot,
  substituting: SlState.Substitute,
  inserting: SlState.Inserting,
};

export interface TrackMirror {
  state: TrackState;
  frames: number;
  /** the engine frame at which the loop's position was 0 */
  anchor: number;
  muted: boolean;
  soloed: boolean;
  volume: number;
  pan: number;
  /** passes undo can step back through, and redo can bring back */
  undo: number;
  redo: number;
  /** the newest pending action (a quantized press waiting for its boundary) */
  pending: { state: TrackState; frame: number } | null;
  /** the frame of the newest state event: an older status does not overwrite what it said */
  stateFrame: number;
  /** playback speed from the half/double transforms sent through this mirror's owner (1 for a new take) */
  rate: number;
  /** the length of the take before any multiply (SooperLooper's cycle); 0 when empty */
  cycleFrames: number;
  /** stopped by a pause: the loop stands still (its position is that at stateFrame) */
  paused: boolean;
  /** the frame a multiply began at: the grown loop's position 0 */
  multiplyStart: number;
}

export class LooperMirror {
  readonly tracks: TrackMirror[] = [];
  bpm: number;
  beatsPerBar: number;
  metronome = true;
  inputPeak = 0;
  outputPeak = 0;
  /** the newest engine frame heard of, and when (ms) */
  private frame = 0;
  private frameAt = 0;

  /** loop memory in frames (every loop and undo layer shares it) */
  private readonly memoryFrames: number;

  constructor(trackCount: number, readonly sampleRate: number, bpm: number, beatsPerBar: number, memoryMiB: number) {
    this.bpm = bpm;
    this.beatsPerBar = beatsPerBar;
    // stereo float32: 8 bytes a frame
    this.memoryFrames = (memoryMiB * 1024 * 1024) / 8;
    for (let i = 0; i < trackCount; i++) {
      this.tracks.push({ state: 'empty', frames: 0, anchor: 0, muted: false, soloed: false, volume: 1, pan: 0, undo: 0, redo: 0, pending: null, stateFrame: -1, rate: 1, cycleFrames: 0, paused: false, multiplyStart: 0 });
    }
  }

  /** Track n (1-based), or undefined. */
  track(n: number): TrackMirror | undefined {
    return this.tracks[n - 1];
  }

  event(e: HostEvent, now: number): void {
    switch (e.type) {
      case 'state': {
        const t = this.track(e.track);
        if (!t) return;
        this.saw(e.frame, now);
        // a recording's start, its end and any new length: the loop's position is 0 here, but for a
        // multiply's and an insert's (a status tells)
        const restart = e.state === 'recording' ? t.state !== 'recording' : e.frames !== t.frames || t.state === 'recording';
        if (e.state === 'multiplying' && t.state !== 'multiplying') {
          // a multiply keeps the position: the grown loop's position 0 is where the loop's pass began (by
          // its own length; a multiply by the master's length is set right by the next status)
          t.multiplyStart = t.state === 'recording' || t.frames <= 0 ? e.frame : e.frame - mod(e.frame - t.anchor, t.frames);
        }
        if (t.paused && t.state === 'stopped' && e.state !== 'stopped') {
          // a paused loop goes on from where it stood
          t.anchor += e.frame - t.stateFrame;
          t.paused = false;
        }
        if (restart) t.anchor = t.state === 'multiplying' ? t.multiplyStart : e.frame;
        if (e.state === 'multiplying') t.anchor = t.multiplyStart;
        if (e.state === 'recording' || e.state === 'empty') {
          t.rate = 1;
          t.paused = false;
        }
        // the take's length is the cycle; a multiply or insert lengthens the loop by cycles
        if (e.state === 'empty' || (t.state === 'recording' && e.state !== 'recording') || t.cycleFrames === 0) t.cycleFrames = e.frames;
        // an unchanged state is a cancelled wait (stop while waiting to record) or an undo
        if (e.state === t.state || (t.pending && t.pending.frame <= e.frame)) t.pending = null;
        t.state = e.state;
        t.frames = e.frames;
        t.stateFrame = e.frame;
        return;
      }
      case 'pending': {
        const t = this.track(e.track);
        if (t) t.pending = { state: e.state, frame: e.frame };
        return;
      }
      case 'layers': {
        const t = this.track(e.track);
        if (t) {
          t.undo = e.undo;
          t.redo = e.redo;
        }
        this.saw(e.frame, now);
        return;
      }
      case 'tempo':
        this.bpm = e.bpm;
        this.beatsPerBar = e.beatsPerBar;
        return;
      case 'beat':
        this.saw(e.frame, now);
        return;
      case 'levels':
        this.inputPeak = Math.max(e.input[0], e.input[1]);
        this.outputPeak = Math.max(e.output[0], e.output[1]);
        if (e.frame !== undefined) this.saw(e.frame, now);
        return;
      default:
        return;
    }
  }

  status(s: HostStatus, now: number): void {
    this.saw(s.frame, now);
    this.bpm = s.bpm;
    this.beatsPerBar = s.beatsPerBar;
    this.metronome = s.metronome;
    for (const ts of s.tracks) this.trackStatus(ts, s.frame);
  }

  private trackStatus(ts: TrackStatus, frame: number): void {
    const t = this.track(ts.track);
    if (!t) return;
    if (t.stateFrame <= frame) {
      t.state = ts.state;
      t.frames = ts.frames;
      if (ts.frames === 0 || t.cycleFrames === 0) t.cycleFrames = ts.frames;
      t.paused = ts.paused === true;
      // the host's own position is exact (after undo, transforms, restores): the anchor follows from it
      if (ts.position !== undefined && ts.frames > 0 && ts.state !== 'recording') t.anchor = (t.paused ? t.stateFrame : frame) - ts.position;
    }
    t.muted = ts.muted;
    t.soloed = ts.soloed;
    t.volume = ts.volume;
    t.pan = ts.pan;
    // a status counts layers, not the undo position: it only fills in what no 'layers' event told yet
    if (t.undo === 0 && ts.frames > 0) t.undo = ts.layers;
  }

  private saw(frame: number, now: number): void {
    if (frame >= this.frameNow(now)) {
      this.frame = frame;
      this.frameAt = now;
    }
  }

  /** The engine frame now, from the newest frame heard of and the time since (at most a second ahead). */
  frameNow(now: number): number {
    const elapsed = Math.min(1000, Math.max(0, now - this.frameAt));
    return this.frame + Math.round((elapsed * this.sampleRate) / 1000);
  }

  /** SooperLooper's state code of track n. */
  stateCode(n: number): number {
    const t = this.track(n);
    if (!t) return SlState.Off;
    if (t.pending) {
      if (t.state === 'empty' && t.pending.state === 'recording') return SlState.WaitStart;
      if (t.state === 'recording') return SlState.WaitStop;
    }
    if (t.muted && (t.state === 'playing' || t.state === 'oneshot')) return SlState.Muted;
    if (t.muted && t.state === 'empty') return SlState.OffMuted;
    return STATE_CODE[t.state];
  }

  /** The state track n is heading for (its pending action's), as a code. */
  nextStateCode(n: number): number {
    const t = this.track(n);
    return t?.pending ? STATE_CODE[t.pending.state] : this.stateCode(n);
  }

  /** Position of track n's loop in seconds. */
  positionSeconds(n: number, now: number): number {
    const t = this.track(n);
    if (!t || t.frames <= 0 || t.state === 'recording') return 0;
    // a multiply's position runs on past the old length while the loop grows
    if (t.state === 'multiplying') return Math.max(0, this.frameNow(now) - t.anchor) / this.sampleRate;
    const p = ((t.paused && t.state === 'stopped' ? t.stateFrame : this.frameNow(now)) - t.anchor) % t.frames;
    return (p < 0 ? p + t.frames : p) / this.sampleRate;
  }

  /** How long a recording in progress has run, or the loop's length, in seconds. */
  lengthSeconds(n: number, now: number): number {
    const t = this.track(n);
    if (!t) return 0;
    if (t.state === 'recording') return Math.max(0, this.frameNow(now) - t.anchor) / this.sampleRate;
    return t.frames / this.sampleRate;
  }

  /** SooperLooper's cycle_len: the take's length before multiplies (0 for an empty loop). */
  cycleSeconds(n: number): number {
    return (this.track(n)?.cycleFrames ?? 0) / this.sampleRate;
  }

  /** SooperLooper's total_time: the loop memory, in seconds. */
  get totalSeconds(): number {
    return this.memoryFrames / this.sampleRate;
  }

  /** SooperLooper's free_time: the loop memory no loop's current take holds, in seconds. */
  get freeSeconds(): number {
    let used = 0;
    for (const t of this.tracks) used += t.frames;
    return Math.max(0, this.memoryFrames - used) / this.sampleRate;
  }
}
