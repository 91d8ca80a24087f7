import { EngineEvent } from '../engine/events';
import type { Transport } from '../engine/transport';
import { COMMANDS, ERROR_TEXT, EventType, LIMITS, TRACK_STATES } from '../engine/types';
import { HostEvent } from './protocol';

// Engine events (fixed-size records from the EventRing) to IPC events, in one place, so every host
// (in-process or forked) reports the same thing. Control side: allocates an object per event.

/** What the translation reads from the engine (an Engine satisfies it). */
export interface EventSource {
  readonly sampleRate: number;
  readonly transport: Transport;
}

/** A loop's length in bars at the current tempo, to 3 decimals (a quantized loop is a whole number). */
export function barsOf(source: EventSource, frames: number): number {
  const { bpm, beatsPerBar } = source.transport;
  const framesPerBar = (60 * source.sampleRate * beatsPerBar) / bpm;
  return Math.round((frames / framesPerBar) * 1000) / 1000;
}

export function translateEvent(source: EventSource, e: EngineEvent): HostEvent {
  switch (e.type) {
    case EventType.State:
      return {
        type: 'state',
        track: e.track,
        state: TRACK_STATES[e.a],
        frame: e.frame,
        frames: e.b,
        seconds: e.b / source.sampleRate,
        bars: barsOf(source, e.b),
      };
    case EventType.Pending:
      return { type: 'pending', track: e.track, state: TRACK_STATES[e.a], frame: e.frame };
    case EventType.Beat:
      return {
        type: 'beat',
        frame: e.frame,
        beat: e.a,
        beatInBar: e.b,
        bar: source.transport.barOf(e.a),
        downbeat: e.b === 0,
      };
    case EventType.Tempo:
      return { type: 'tempo', frame: e.frame, bpm: e.a / 1000, beatsPerBar: e.b };
    case EventType.Layers:
      return { type: 'layers', track: e.track, frame: e.frame, undo: e.a, redo: e.b };
    case EventType.Loop:
      return { type: 'loop', track: e.track, frame: e.frame, live: e.a === 1 };
    case EventType.Error:
      return { type: 'error', track: e.track, message: `${COMMANDS[e.b] ?? 'command'}: ${ERROR_TEXT[e.a] ?? `error ${e.a}`}` };
  }
}

/** How often a host reports levels. */
export const LEVELS_INTERVAL_MS = 50;

/**
 * Peak levels held over several blocks: after each process(), add() the engine's meters
 * ([inL, inR, outL, outR] at `offset` in `memory`); every LEVELS_INTERVAL_MS, take() the event.
 */
export class LevelMeter {
  private readonly peaks = new Float64Array(4);
  /** input channels: the peak of each */
  private readonly channelPeaks = new Float64Array(LIMITS.inputChannels[1]);
  /** per track: peak left, peak right, sum of squares left, right */
  private readonly trackSums = new Float64Array(LIMITS.tracks[1] * 4);
  private channels = 0;
  private tracks = 0;
  private frames = 0;

  add(memory: Float32Array, offset: number): void {
    for (let i = 0; i < 4; i++) if (memory[offset + i] > this.peaks[i]) this.peaks[i] = memory[offset + i];
  }

  /**
   * After add(): the engine's per-channel input peaks (`channels` floats at `inputMeters`) and, when it
   * meters tracks (`trackMeters` >= 0), each track's peaks and sums of squares over the block's `frames`.
   */
  addRouting(memory: Float32Array, inputMeters: number, channels: number, trackMeters: number, tracks: number, frames: number): void {
    this.channels = channels;
    for (let c = 0; c < channels; c++) if (memory[inputMeters + c] > this.channelPeaks[c]) this.channelPeaks[c] = memory[inputMeters + c];
    if (trackMeters < 0) return;
    this.tracks = tracks;
    this.frames += frames;
    const s = this.trackSums;
    for (let i = 0; i < tracks * 4; i += 4) {
      const at = trackMeters + i;
      if (memory[at] > s[i]) s[i] = memory[at];
      if (memory[at + 1] > s[i + 1]) s[i + 1] = memory[at + 1];
      s[i + 2] += memory[at + 2];
      s[i + 3] += memory[at + 3];
    }
  }

  take(): HostEvent {
    const p = this.peaks;
    const event: Extract<HostEvent, { type: 'levels' }> = { type: 'levels', input: [p[0], p[1]], output: [p[2], p[3]] };
    p.fill(0);
    if (this.channels > 0) {
      event.channels = Array.from(this.channelPeaks.subarray(0, this.channels));
      this.channelPeaks.fill(0);
    }
    if (this.tracks > 0 && this.frames > 0) {
      const s = this.trackSums;
      const n = this.frames;
      event.tracks = [];
      for (let i = 0; i < this.tracks * 4; i += 4) event.tracks.push({ peak: [s[i], s[i + 1]], rms: [Math.sqrt(s[i + 2] / n), Math.sqrt(s[i + 3] / n)] });
      s.fill(0);
      this.frames = 0;
    }
    return event;
  }
}
