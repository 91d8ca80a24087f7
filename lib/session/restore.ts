import * as fs from 'fs';
import { Engine } from '../engine/engine';
import { InputError } from '../engine/commands';
import { resampledLength } from '../dsp/resample';
import { Cmd, QUANTIZE_MODES, State } from '../engine/types';
import { AdoptedLayer } from './autosave';
import { CaptureHeader, PassKind, parseCapture, replayOverdub } from './capture';
import { writeFileAtomic } from './durable';
import { CAPTURE_DIR, LAYERS_DIR, SessionFolder } from './folder';
import { LayerEntry, Manifest, TrackEntry } from './manifest';
import { encodeWav, writeError } from './wav';

// Loading a session folder into an engine: after a crash (the autosave folder) or on request (a named
// session). Everything that can be read is restored and everything that cannot is reported, one line
// per problem; a damaged layer, a missing file or a damaged manifest never stops the rest.
//
// Phase: a layer is loaded at its saved anchor, so into a fresh engine (frame 0) every loop lands where
// it was on the bar grid and against the other loops. Into an engine that has run, every anchor moves
// by the same whole number of bars (the next bar line), which keeps the loops in phase with each other
// and on the grid (to a frame, when the session's tempo differs from the engine's).
//
// The tempo is restored as one tempo from frame 0: a session whose tempo changed while loops were
// recorded keeps its loops in phase with each other, but not necessarily on the new grid's bar lines.
//
// Interrupted passes (capture files no layer was made from) are offered, not imposed:
//  - a recording is written as recovered/<capture>.wav and reported: it never ended, so it has no loop
//    length; import it into a track if it is wanted;
//  - an overdub is rebuilt on the layer it started from, written as recovered/<capture>.wav, and loaded
//    as the track's redo step above that layer: the loops play as they were before the pass, and one
//    `redo` brings the pass back, in phase, as far as it got.

export interface RecoveredTake {
  track: number;
  kind: PassKind;
  /** the recovered WAV (float32 stereo at the session's rate) */
  file: string;
  frames: number;
  seconds: number;
  /** true when the take was also loaded as the track's redo step */
  redo: boolean;
}

export interface RestoreReport {
  dir: string;
  /** a manifest (or its backup) was read */
  restored: boolean;
  tracks: { track: number; layers: number; current: number; state: string }[];
  /** the layers loaded from this folder's files: pass to Autosave (options.adopted or adopt()) so they are not written again */
  adopted: AdoptedLayer[];
  recovered: RecoveredTake[];
  /** one line per thing that could not be restored, naming the file and what was wrong */
  problems: string[];
}

export interface RestoreOptions {
  /**
   * The folder is the autosave (default true): rebuild interrupted passes from capture files and clear
   * out what crashed writes left (temp files, unnamed layer files). False for a named session, which is
   * only read.
   */
  recover?: boolean;
}

interface PendingCapture {
  name: string;
  header: CaptureHeader;
}

/**
 * Loads the session in `dir` into `engine`, whose tracks must be empty (clear them and run a block
 * first). Control side: call between blocks. Layers are read one at a time, so the peak memory is the
 * engine's arena plus one layer.
 */
export async function restoreSession(engine: Engine, dir: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  for (const tr of engine.tracks) {
    if (tr.layerCount > 0 || tr.state === State.Recording) throw new InputError('session', `track ${tr.number} is not empty; clear every track before loading a session`);
  }
  const folder = new SessionFolder(dir);
  const report: RestoreReport = { dir, restored: false, tracks: [], adopted: [], recovered: [], problems: [] };
  if (!fs.existsSync(dir)) return report;
  const recover = options.recover !== false;
  if (recover) await folder.removeTempFiles();
  const read = folder.exists() ? await folder.readManifest() : { manifest: null, primary: false, problems: [] };
  report.problems.push(...read.problems);
  const m = read.manifest;
  const captures = recover ? await pendingCaptures(folder, m, report) : [];
  if (m) {
    report.restored = true;
    const shift = engine.frame === 0 ? 0 : engine.transport.beatFrame(engine.transport.barBeatAtOrAfter(engine.frame));
    const now = engine.frame;
    engine.command(Cmd.Bpm, 0, now, m.bpm);
    engine.command(Cmd.BeatsPerBar, 0, now, m.beatsPerBar);
    engine.command(Cmd.Quantize, 0, now, QUANTIZE_MODES.indexOf(m.quantize));
    engine.command(Cmd.MasterVolume, 0, now, m.masterVolume);
    // mixer first: loadLoop computes the gains from these fields, without a fade
    for (const t of m.tracks) if (t.track <= engine.tracks.length) setMixer(engine, t);
    // the master first, so it is the master again
    const order = [...m.tracks].sort((a, b) => +(b.track === m.masterTrack) - +(a.track === m.masterTrack));
    for (const t of order) {
      if (t.track > engine.tracks.length) {
        if (t.layers.length > 0) report.problems.push(`track ${t.track}: not restored, the engine has ${engine.tracks.length} tracks`);
        continue;
      }
      const overdub = captures.find((c) => c.header.track === t.track && c.header.kind === 'overdub' && t.current >= 0 && c.header.base === t.layers[t.current].file);
      if (overdub) captures.splice(captures.indexOf(overdub), 1);
      await restoreTrack(engine, folder, m, t, shift, overdub ?? null, report);
    }
  }
  // interrupted passes that are not a track's redo step: recovered files only
  for (const c of captures) await recoverCapture(folder, c, null, report);
  if (recover && read.primary && m) await removeOrphans(folder, m);
  return report;
}

/** Queues a clear of every track: the tracks are empty after the next block (see restoreSession). */
export function clearAll(engine: Engine): void {
  for (const tr of engine.tracks) engine.command(Cmd.Clear, tr.number, engine.frame);
}

/** A track's mixer, set directly: loadLoop() then computes the gains from it without a fade. Control side. */
export function setMixer(engine: Engine, t: Pick<TrackEntry, 'track' | 'volume' | 'pan' | 'muted' | 'soloed'>): void {
  const tr = engine.tracks[t.track - 1];
  tr.volume = t.volume;
  tr.pan = t.pan;
  tr.muted = t.muted;
  tr.soloed = t.soloed;
}

async function restoreTrack(
  engine: Engine, folder: SessionFolder, m: Manifest, t: TrackEntry, shift: number, overdub: PendingCapture | null, report: RestoreReport,
): Promise<void> {
  const rate = engine.sampleRate;
  const frames = (e: LayerEntry) => resampledLength(e.frames, m.sampleRate, rate);
  // an overdub in progress had already dropped the redo steps above its base
  let layers = overdub ? t.layers.slice(0, t.current + 1) : t.layers;
  let current = t.current;
  // within the memory budget: give up redo steps first, then the oldest undo steps
  const need = (ls: LayerEntry[]) => ls.reduce((sum, e) => sum + frames(e) * 2, overdub ? overdub.header.len * 2 : 0);
  while (layers.length > 0 && need(layers) > engine.arena.largestFree()) {
    const drop = layers.length - 1 > current ? layers.length - 1 : 0;
    report.problems.push(`track ${t.track}: layer ${t.layers.indexOf(layers[drop]) + 1} (${layers[drop].file}) not restored: the session is larger than the engine's memory budget`);
    layers = layers.filter((_, i) => i !== drop);
    if (drop < current) current--;
    else if (drop === current) current = -1;
  }

  const tr = engine.tracks[t.track - 1];
  const playing = t.state === 'playing';
  let loaded = 0;
  let loadedCurrent = -1;
  let baseAt = -1; // arena offset of the current layer, for the overdub's replay
  for (let i = 0; i < layers.length; i++) {
    const e = layers[i];
    let data: Float32Array;
    try {
      data = await folder.readLayer(e, m.sampleRate, rate);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      report.problems.push(`track ${t.track}: layer ${t.layers.indexOf(e) + 1} not restored: ${err.message}`);
      continue;
    }
    const anchor = Math.round((e.anchor * rate) / m.sampleRate) + shift;
    if (!engine.loadLoop(t.track, data, anchor, playing)) {
      report.problems.push(`track ${t.track}: layer ${t.layers.indexOf(e) + 1} (${e.file}) not restored: the engine's memory budget is full`);
      continue;
    }
    loaded++;
    if (i <= current) loadedCurrent = loaded - 1;
    if (i === current) baseAt = tr.layerLoop[tr.layerIndex];
    if (rate === m.sampleRate) {
      report.adopted.push({ track: t.track, id: tr.layerId[tr.layerIndex], file: e.file, frames: e.frames, anchor, ...(e.from ? { from: e.from } : {}) });
    }
  }
  if (overdub) {
    const base = baseAt >= 0 && loadedCurrent === loaded - 1 ? engine.memory.slice(baseAt, baseAt + tr.layerLen[tr.layerIndex] * 2) : null;
    const take = await recoverCapture(folder, overdub, base, report);
    if (take && base && take.audio.length === base.length && engine.loadLoop(t.track, take.audio, tr.layerAnchor[tr.layerIndex], playing)) {
      loaded++;
      take.reported.redo = true;
    }
  }
  // the undo position: step back from the top to the saved current layer
  for (let k = loaded - 1; k > loadedCurrent; k--) engine.command(Cmd.Undo, t.track, engine.frame);
  const state = loadedCurrent < 0 ? 'empty' : t.state;
  if (loaded > 0 || t.layers.length > 0) report.tracks.push({ track: t.track, layers: loaded, current: loadedCurrent, state });
}

/** Capture files that no saved layer was made from, with readable headers; unreadable ones are reported. */
async function pendingCaptures(folder: SessionFolder, m: Manifest | null, report: RestoreReport): Promise<PendingCapture[]> {
  const done = new Set<string>();
  for (const t of m?.tracks ?? []) for (const l of t.layers) if (l.from) done.add(l.from);
  const out: PendingCapture[] = [];
  for (const name of await folder.list(CAPTURE_DIR)) {
    const file = folder.capture(name);
    if (done.has(name)) {
      await fs.promises.rm(file, { force: true }); // its layer is saved: a crash came between the two
      continue;
    }
    try {
      out.push({ name, header: parseCapture(file, await readHead(file)).header });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      report.problems.push(`${e.message}; the file is left in place`);
    }
  }
  return out;
}

/**
 * Writes an interrupted pass as recovered/<capture>.wav (an overdub rebuilt on `base`), reports it and
 * deletes the capture. Returns the reported take with its audio, or null when there was nothing to recover.
 */
async function recoverCapture(
  folder: SessionFolder, c: PendingCapture, base: Float32Array | null, report: RestoreReport,
): Promise<{ reported: RecoveredTake; audio: Float32Array } | null> {
  const file = folder.capture(c.name);
  const { header, data } = parseCapture(file, await fs.promises.readFile(file));
  if (data.length === 0) {
    await fs.promises.rm(file, { force: true });
    return null;
  }
  if (header.kind === 'overdub' && !base) {
    report.problems.push(`${file}: the layer this overdub started from (${header.base}) was not restored; the recovered take holds only what the overdub wrote`);
  }
  const take = header.kind === 'overdub' ? replayOverdub(header, data, base) : data;
  const out = folder.recovered(c.name.replace(/\.cap$/, '.wav'));
  try {
    await fs.promises.mkdir(folder.recovered(''), { recursive: true });
    await writeFileAtomic(out, encodeWav(take, 2, header.sampleRate, 'float32'));
  } catch (err) {
    report.problems.push(`${writeError(out, err).message}; the capture ${file} is kept`);
    return null;
  }
  await fs.promises.rm(file, { force: true });
  const frames = take.length / 2;
  const reported: RecoveredTake = { track: header.track, kind: header.kind, file: out, frames, seconds: frames / header.sampleRate, redo: false };
  report.recovered.push(reported);
  return { reported, audio: take };
}

/** The first bytes of a file (a capture's header), without reading a long take. */
async function readHead(file: string): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Layer files no manifest names: written just before a crash (their passes come back from captures) or
 * dropped just before one. Removed only when session.json itself was read: with only the backup, an
 * unnamed file may be the newest pass.
 */
async function removeOrphans(folder: SessionFolder, m: Manifest): Promise<void> {
  const named = new Set(m.tracks.flatMap((t) => t.layers.map((l) => l.file)));
  for (const name of await folder.list(LAYERS_DIR)) if (!named.has(name)) await fs.promises.rm(folder.layer(name), { force: true });
}
