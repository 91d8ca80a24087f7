import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../engine/engine';
import { InputError, numberIn } from '../engine/commands';
import { Cmd, DEFAULT_OPTIONS, LIMITS, State } from '../engine/types';
import { SessionFolder } from './folder';
import { setMixer } from './restore';
import { WavWriteFormat, writeWavAtomic } from './wav';
import { runInWorker } from './worker';

// Mixdown and stems of the loops as they stand: rendered by a second, private Engine fed with copies of
// the current layers, so the live engine is not touched, and deterministic to the bit (the same loops
// give the same files, whether they come from the live engine or from a saved session).
//
// The export starts at the master loop's position 0 and lasts `loops` times the longest loop. The mix
// is what the player hears from the loops (volume, pan, mute, solo, stopped tracks silent, master volume),
// without input or metronome; each stem is one track as it sounds in that mix, so the stems add up to
// the mix before the master volume and the output clamp.
//
// Cue buses: when tracks send to other output buses (cueBus, docs/routing.md), each of those buses is
// rendered too, as the engine's output has it: the sends of the tracks on it, each its stem times its
// cue send, then the output clamp (no master volume, which is bus 1's). The main mix (bus 1) is the same
// with or without them, bit for bit. Like the mix, a cue bus holds no input and no click.

export const MAX_EXPORT_LOOPS = 64;
/** the longest export, like the longest render (an hour of float32 stereo at 48 kHz is 1.3 GiB) */
export const MAX_EXPORT_SECONDS = 3600;

export interface MixTrack {
  track: number;
  /** the playing layer, interleaved stereo */
  data: Float32Array;
  anchor: number;
  volume: number;
  pan: number;
  muted: boolean;
  soloed: boolean;
  playing: boolean;
  /** the cue send's output bus (absent or 0: none) and gain (absent: 1) */
  cueBus?: number;
  cueSend?: number;
}

export interface MixSource {
  sampleRate: number;
  masterVolume: number;
  /** 1-based, 0 = none */
  masterTrack: number;
  tracks: MixTrack[];
}

export interface Mixdown {
  sampleRate: number;
  frames: number;
  /** bus 1, the main mix */
  mix: Float32Array;
  /** the cue buses some track sends to, in bus order (none: empty) */
  buses: { bus: number; data: Float32Array }[];
  stems: { track: number; data: Float32Array }[];
}

export interface ExportTarget {
  /** the mixdown WAV (bus 1); each cue bus b goes beside it as busFile(mix, b) */
  mix?: string;
  /** a folder for one trackN.wav per track */
  stemsDir?: string;
  format?: WavWriteFormat;
}

/** Copies of a live engine's playing layers. Control side, between blocks: the cost is one copy of each loop. */
export function mixSourceFromEngine(engine: Engine): MixSource {
  const tracks: MixTrack[] = [];
  for (const tr of engine.tracks) {
    const data = engine.loopData(tr.number);
    if (!data) continue;
    tracks.push({
      track: tr.number, data, anchor: tr.layerAnchor[tr.layerIndex], volume: tr.volume, pan: tr.pan, muted: tr.muted, soloed: tr.soloed,
      playing: tr.state === State.Playing || tr.state === State.Overdubbing, cueBus: tr.cueBus, cueSend: tr.cueSend,
    });
  }
  return { sampleRate: engine.sampleRate, masterVolume: engine.masterVolume, masterTrack: engine.masterTrack, tracks };
}

/** The playing layers of a saved session, at its own rate; a layer that cannot be read is reported and left out. */
export async function mixSourceFromSession(dir: string): Promise<{ source: MixSource; problems: string[] }> {
  const folder = new SessionFolder(dir);
  const { manifest: m, problems } = await folder.readManifest();
  if (!m) throw new InputError(dir, `no readable session: ${problems.join('; ')}`);
  const tracks: MixTrack[] = [];
  for (const t of m.tracks) {
    if (t.current < 0) continue;
    const layer = t.layers[t.current];
    try {
      const data = await folder.readLayer(layer, m.sampleRate, m.sampleRate);
      tracks.push({
        track: t.track, data, anchor: layer.anchor, volume: t.volume, pan: t.pan, muted: t.muted, soloed: t.soloed, playing: t.state === 'playing',
        cueBus: t.cueBus, cueSend: t.cueSend,
      });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push(`track ${t.track}: left out of the export: ${e.message}`);
    }
  }
  return { source: { sampleRate: m.sampleRate, masterVolume: m.masterVolume, masterTrack: m.masterTrack, tracks }, problems };
}

/** Renders the loops `loops` times the longest loop, from the master loop's start. CPU-bound: off the audio thread (exportInWorker). */
export function renderMixdown(source: MixSource, loops = 1): Mixdown {
  numberIn(loops, 'loops', [1, MAX_EXPORT_LOOPS], true);
  if (source.tracks.length === 0) throw new InputError('export', 'nothing to export: no track holds a loop');
  const longest = Math.max(...source.tracks.map((t) => t.data.length / 2));
  const frames = longest * loops;
  if (frames > MAX_EXPORT_SECONDS * source.sampleRate) {
    throw new InputError('loops', `${loops} x ${(longest / source.sampleRate).toFixed(1)} s is longer than ${MAX_EXPORT_SECONDS} s; accepted: fewer loops`);
  }
  const master = source.tracks.find((t) => t.track === source.masterTrack) ?? source.tracks[0];
  const loopBytes = source.tracks.reduce((sum, t) => sum + t.data.byteLength, 0);
  for (const t of source.tracks) if (t.cueBus !== undefined) numberIn(t.cueBus, `track ${t.track}: cueBus`, [0, LIMITS.outputBuses[1]], true);
  const cueBuses = [...new Set(source.tracks.map((t) => t.cueBus ?? 0).filter((bus) => bus > 0))].sort((x, y) => x - y);
  const engine = new Engine({
    ...DEFAULT_OPTIONS,
    sampleRate: source.sampleRate,
    tracks: Math.max(...source.tracks.map((t) => t.track)),
    monitor: false,
    metronome: { ...DEFAULT_OPTIONS.metronome, enabled: false },
    metronomeInOutput: false,
    stems: true,
    memoryMiB: Math.min(LIMITS.memoryMiB[1], Math.ceil(loopBytes / 2 ** 20) + 8),
    outputBuses: Math.max(1, ...cueBuses),
  });
  engine.command(Cmd.MasterVolume, 0, 0, source.masterVolume);
  for (const t of source.tracks) {
    setMixer(engine, t);
    const tr = engine.tracks[t.track - 1];
    tr.cueBus = t.cueBus ?? 0;
    tr.cueSend = Math.fround(t.cueSend ?? 1);
  }
  for (const t of source.tracks) {
    // frame 0 of the export is the master loop's position 0; the other loops keep their phase to it
    if (!engine.loadLoop(t.track, t.data, t.anchor - master.anchor, t.playing)) throw new InputError('export', 'the loops do not fit in memory');
  }
  const mix = new Float32Array(frames * 2);
  const buses = cueBuses.map((bus) => ({ bus, data: new Float32Array(frames * 2) }));
  const stems = source.tracks.map((t) => ({ track: t.track, data: new Float32Array(frames * 2) }));
  const block = engine.maxBlockFrames;
  for (let at = 0; at < frames; at += block) {
    const n = Math.min(block, frames - at);
    engine.process(n);
    mix.set(engine.busView(1).subarray(0, n * 2), at * 2);
    for (const b of buses) b.data.set(engine.busView(b.bus).subarray(0, n * 2), at * 2);
    for (const s of stems) s.data.set(engine.stemView(s.track).subarray(0, n * 2), at * 2);
  }
  return { sampleRate: source.sampleRate, frames, mix, buses, stems };
}

/** The file of cue bus `bus` beside the mix: mix.wav -> mix-bus2.wav (bus 2, outputs 3-4). */
export function busFile(mix: string, bus: number): string {
  const ext = path.extname(mix);
  return `${mix.slice(0, mix.length - ext.length)}-bus${bus}${ext || '.wav'}`;
}

/**
 * Writes the mixdown with its cue buses beside it, and/or the stems (each file complete or not at all).
 * Returns the files written: the mix, the cue buses in bus order, then the stems.
 */
export async function writeMixdown(m: Mixdown, target: ExportTarget): Promise<string[]> {
  const format = target.format ?? 'float32';
  const files: string[] = [];
  if (target.mix) {
    await writeWavAtomic(target.mix, m.mix, 2, m.sampleRate, format);
    files.push(target.mix);
    for (const b of m.buses) {
      const file = busFile(target.mix, b.bus);
      await writeWavAtomic(file, b.data, 2, m.sampleRate, format);
      files.push(file);
    }
  }
  if (target.stemsDir) files.push(...(await writeStems(target.stemsDir, m.stems, m.sampleRate, format)));
  return files;
}

/** One trackN.wav per stem in `dir` (created if missing). */
export async function writeStems(dir: string, stems: { track: number; data: Float32Array }[], sampleRate: number, format: WavWriteFormat): Promise<string[]> {
  await fs.promises.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const s of stems) {
    const file = path.join(dir, `track${s.track}.wav`);
    await writeWavAtomic(file, s.data, 2, sampleRate, format);
    files.push(file);
  }
  return files;
}

/**
 * What an export renders: loops already in memory, or a saved session folder. For the live engine host,
 * `{sessionDir}` of its autosave after `await autosave.flush()` costs its thread nothing (the worker
 * reads the files); mixSourceFromEngine() costs one copy of the loops (~0.5 ms per MiB measured).
 */
export type ExportSource = MixSource | { sessionDir: string };

/**
 * renderMixdown + writeMixdown on a worker thread, for the engine host: the render takes seconds for a
 * long set, and the host's thread must stay free for the audio. A MixSource's buffers are moved to the
 * worker (unusable here afterwards). Resolves with the files written and, for a session folder, the
 * layers left out because they could not be read; rejects with the worker's error (an InputError or
 * WavError message).
 */
export function exportInWorker(source: ExportSource, target: ExportTarget, loops = 1): Promise<{ files: string[]; problems: string[] }> {
  const transfer = 'tracks' in source ? source.tracks.map((t) => t.data.buffer as ArrayBuffer) : [];
  return runInWorker('export-worker.js', { source, target, loops }, transfer);
}
