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
  mix: Float32Array;
  stems: { track: number; data: Float32Array }[];
}

export interface ExportTarget {
  /** the mixdown WAV */
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
      playing: tr.state === State.Playing || tr.state === State.Overdubbing,
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
      tracks.push({ track: t.track, data, anchor: layer.anchor, volume: t.volume, pan: t.pan, muted: t.muted, soloed: t.soloed, playing: t.state === 'playing' });
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
  const engine = new Engine({
    ...DEFAULT_OPTIONS,
    sampleRate: source.sampleRate,
    tracks: Math.max(...source.tracks.map((t) => t.track)),
    monitor: false,
    metronome: { ...DEFAULT_OPTIONS.metronome, enabled: false },
    metronomeInOutput: false,
    stems: true,
    memoryMiB: Math.min(LIMITS.memoryMiB[1], Math.ceil(loopBytes / 2 ** 20) + 8),
  });
  engine.command(Cmd.MasterVolume, 0, 0, source.masterVolume);
  for (const t of source.tracks) setMixer(engine, t);
  for (const t of source.tracks) {
    // frame 0 of the export is the master loop's position 0; the other loops keep their phase to it
    if (!engine.loadLoop(t.track, t.data, t.anchor - master.anchor, t.playing)) throw new InputError('export', 'the loops do not fit in memory');
  }
  const mix = new Float32Array(frames * 2);
  const stems = source.tracks.map((t) => ({ track: t.track, data: new Float32Array(frames * 2) }));
  const block = engine.maxBlockFrames;
  for (let at = 0; at < frames; at += block) {
    const n = Math.min(block, frames - at);
    engine.process(n);
    mix.set(engine.outputView().subarray(0, n * 2), at * 2);
    for (const s of stems) s.data.set(engine.stemView(s.track).subarray(0, n * 2), at * 2);
  }
  return { sampleRate: source.sampleRate, frames, mix, stems };
}

/** Writes the mixdown and/or the stems (each file complete or not at all). Returns the files written. */
export async function writeMixdown(m: Mixdown, target: ExportTarget): Promise<string[]> {
  const format = target.format ?? 'float32';
  const files: string[] = [];
  if (target.mix) {
    await writeWavAtomic(target.mix, m.mix, 2, m.sampleRate, format);
    files.push(target.mix);
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
