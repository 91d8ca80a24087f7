import * as fs from 'fs';
import { Engine } from '../engine/engine';
import { InputError } from '../engine/commands';
import { resampledLength } from '../dsp/resample';
import { SOURCE_ALL, hasSource, sourceCode, sourceName } from '../engine/routing';
import { Cmd, LIMITS, QUANTIZE_MODES, Quantize, QuantizeMode, State } from '../engine/types';
import { AdoptedLayer } from './autosave';
import { CAPTURE_EXT, CaptureHeader, CaptureSeal, PassKind, SEAL_EXT, parseCapture, parseSeal, replayOverdub, sealedLayer } from './capture';
import { writeFileAtomic } from './durable';
import { CAPTURE_DIR, LAYERS_DIR, SessionFolder } from './folder';
import { LayerEntry, Manifest, TrackEntry, emptyTrack } from './manifest';
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
// Which tracks are loops comes back too (a deleted track stays free, an empty loop stays a loop), with
// each loop's own quantize, feedback, input gain, input source and cue send, and the click's and the
// monitor's bus and the monitor's source. A source or bus the engine lacks (a session saved with a
// 4-channel interface, loaded with a stereo one) falls back to "all", no cue send, or bus 1, with a line
// in the report: the loops themselves always load.
//
// The tempo is restored as one tempo from frame 0: a session whose tempo changed while loops were
// recorded keeps its loops in phase with each other, but not necessarily on the new grid's bar lines.
//
// Completed passes whose layer no manifest names yet (a kill between the end of the pass and the next
// manifest) come back from their sealed captures (capture.ts) as the track's top layers, bit for bit.
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
  /** how much of the pass came back (an overdub's file holds the whole loop, `loopFrames`) */
  frames: number;
  seconds: number;
  /** the length of the file: the pass for a recording, the loop for an overdub */
  loopFrames: number;
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
  /** the pass ended and became a layer: the capture rebuilds it whole */
  sealed: { seal: CaptureSeal; tail: Float32Array } | null;
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
  const shift = engine.frame === 0 ? 0 : engine.transport.beatFrame(engine.transport.barBeatAtOrAfter(engine.frame));
  if (m) {
    report.restored = true;
    const now = engine.frame;
    engine.command(Cmd.Bpm, 0, now, m.bpm);
    engine.command(Cmd.BeatsPerBar, 0, now, m.beatsPerBar);
    engine.command(Cmd.MasterVolume, 0, now, m.masterVolume);
    setQuantize(engine, m.quantize);
    setRouting(engine, m, report.problems);
    // tracks first (loop or free, mixer, settings): loadLoop computes the gains from them, without a fade
    for (const t of m.tracks) if (t.track <= engine.tracks.length) setTrack(engine, t, report.problems);
    // the master first, so it is the master again
    const order = [...m.tracks].sort((a, b) => +(b.track === m.masterTrack) - +(a.track === m.masterTrack));
    for (const t of order) {
      if (t.track > engine.tracks.length) {
        if (t.layers.length > 0) report.problems.push(`track ${t.track}: not restored, the engine has ${engine.tracks.length} tracks`);
        continue;
      }
      const passes = passesOnTop(captures, t, engine.sampleRate === m.sampleRate ? engine.sampleRate : NaN);
      for (const c of [...passes.sealed, ...(passes.overdub ? [passes.overdub] : [])]) captures.splice(captures.indexOf(c), 1);
      await restoreTrack(engine, folder, m, t, shift, passes, report);
    }
  }
  // passes completed before the first manifest reached the disk: loaded into their empty tracks
  const saved = new Set(m?.tracks.map((t) => t.track));
  for (let track = 1; track <= engine.tracks.length; track++) {
    if (saved.has(track)) continue;
    const t = emptyTrack(track, QUANTIZE_MODES[engine.quantize]);
    const passes = passesOnTop(captures, t, engine.sampleRate);
    if (passes.sealed.length === 0) continue;
    for (const c of passes.sealed) captures.splice(captures.indexOf(c), 1);
    await restoreTrack(engine, folder, m ?? ({ sampleRate: engine.sampleRate } as Manifest), t, shift, { sealed: passes.sealed, overdub: null }, report);
  }
  // interrupted passes that are not a track's redo step: recovered files only
  for (const c of captures) await recoverCapture(folder, c, null, report);
  if (recover && read.primary && m) await removeOrphans(folder, m, report.adopted);
  return report;
}

/**
 * The passes that continue a track's saved layers: sealed ones (completed, each on top of the one
 * before: a recording on anything, an overdub on the layer below it) and then the interrupted overdub on
 * the top layer, if any. Sealed passes load only at the session's own rate (NaN: none).
 */
function passesOnTop(captures: PendingCapture[], t: TrackEntry, rate: number): { sealed: PendingCapture[]; overdub: PendingCapture | null } {
  const mine = captures.filter((c) => c.header.track === t.track).sort((a, b) => a.header.began - b.header.began);
  let top = t.current >= 0 ? t.layers[t.current].file : null;
  const sealed: PendingCapture[] = [];
  for (const c of mine) {
    if (!c.sealed || c.header.sampleRate !== rate) continue;
    if (c.header.kind === 'overdub' && c.header.base !== top) continue;
    sealed.push(c);
    top = c.sealed.seal.file;
  }
  const overdub = mine.find((c) => !c.sealed && c.header.kind === 'overdub' && top !== null && c.header.base === top) ?? null;
  return { sealed, overdub };
}

/** Queues a clear of every track: the tracks are empty after the next block (see restoreSession). */
export function clearAll(engine: Engine): void {
  for (const tr of engine.tracks) engine.command(Cmd.Clear, tr.number, engine.frame);
}

/**
 * The engine's quantize and every track's, set at once as the global quantize command sets them (a
 * queued command would overwrite the tracks' own, set next, at the next block). Control side.
 */
function setQuantize(engine: Engine, mode: QuantizeMode): void {
  engine.quantize = QUANTIZE_MODES.indexOf(mode) as Quantize;
  for (const tr of engine.tracks) tr.quantize = engine.quantize;
}

/** The click's and the monitor's bus and the monitor's source; what the engine lacks is reported and left at bus 1 / "all". */
function setRouting(engine: Engine, m: Manifest, problems: string[]): void {
  engine.metronomeBus = restoredBus(engine, m.metronomeBus, 1, 'metronome bus', 'the click plays on bus 1', problems);
  engine.monitorBus = restoredBus(engine, m.monitorBus, 1, 'monitor bus', 'the input monitor plays on bus 1', problems);
  engine.monitorInput = restoredSource(engine, m.monitorInput, 'monitor input', 'the input monitor hears', problems);
}

/**
 * A track as the manifest has it, set directly (control side): a loop or free (a track with layers is a
 * loop whatever the manifest says: its audio is restored), its mixer, its own quantize, feedback and
 * input gain, its input source and cue send. A source or cue bus the engine lacks is reported and falls
 * back to "all" / no cue send.
 */
function setTrack(engine: Engine, t: TrackEntry, problems: string[]): void {
  // first: a track made a loop takes a fresh mixer and the engine's settings, overwritten below
  engine.setLive(t.track, t.live || t.layers.length > 0);
  setMixer(engine, t);
  const tr = engine.tracks[t.track - 1];
  tr.quantize = QUANTIZE_MODES.indexOf(t.quantize) as Quantize;
  // the engine keeps gains as float32 (what the commands store)
  tr.feedback = Math.fround(t.feedback);
  tr.inputGain = Math.fround(t.inputGain);
  tr.source = restoredSource(engine, t.source, `track ${t.track}: input`, `track ${t.track} records`, problems);
  tr.cueBus = restoredBus(engine, t.cueBus, 0, `track ${t.track}: cue send to bus`, `track ${t.track} has no cue send`, problems);
  tr.cueSend = Math.fround(t.cueSend);
}

/** A saved output bus, or `none` with a line in `problems` when the engine has fewer buses. */
function restoredBus(engine: Engine, bus: number, none: number, what: string, fallback: string, problems: string[]): number {
  if (bus <= engine.outputBuses) return bus;
  problems.push(`${what} ${bus} not restored: the engine has ${count(engine.outputBuses, 'output bus', 'output buses')}, the session was saved with more; ${fallback}`);
  return none;
}

/** A saved input source's code, or "all" with a line in `problems` when the engine's input lacks its channels. */
function restoredSource(engine: Engine, name: string, what: string, fallback: string, problems: string[]): number {
  const code = sourceCode(name, LIMITS.inputChannels[1]);
  if (typeof code === 'number' && hasSource(code, engine.inputChannels)) return code;
  const channels = count(engine.inputChannels, 'input channel', 'input channels');
  problems.push(`${what} "${name}" not restored: the engine has ${channels}, the session was saved with more; ${fallback} "${sourceName(SOURCE_ALL)}"`);
  return SOURCE_ALL;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
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
  engine: Engine, folder: SessionFolder, m: Manifest, t: TrackEntry, shift: number,
  passes: { sealed: PendingCapture[]; overdub: PendingCapture | null }, report: RestoreReport,
): Promise<void> {
  const rate = engine.sampleRate;
  const { overdub, sealed } = passes;
  const frames = (e: LayerEntry) => resampledLength(e.frames, m.sampleRate, rate);
  // a pass after the save had already dropped the redo steps above its base
  let layers = overdub || sealed.length > 0 ? t.layers.slice(0, t.current + 1) : t.layers;
  let current = t.current;
  const onTop = sealed.reduce((sum, c) => sum + (c.sealed as { seal: CaptureSeal }).seal.len * 2, overdub ? overdub.header.len * 2 : 0);
  // within the memory budget: give up redo steps first, then the oldest undo steps
  const need = (ls: LayerEntry[]) => ls.reduce((sum, e) => sum + frames(e) * 2, onTop);
  while (layers.length > 0 && need(layers) > engine.arena.largestFree()) {
    const drop = layers.length - 1 > current ? layers.length - 1 : 0;
    report.problems.push(`track ${t.track}: layer ${t.layers.indexOf(layers[drop]) + 1} (${layers[drop].file}) not restored: the session is larger than the engine's memory budget`);
    layers = layers.filter((_, i) => i !== drop);
    if (drop < current) current--;
    else if (drop === current) current = -1;
  }

  const tr = engine.tracks[t.track - 1];
  // a pass that ended after the save left the track playing
  const playing = t.state === 'playing' || sealed.length > 0;
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
  for (const c of sealed) {
    const top = baseAt >= 0 && loadedCurrent === loaded - 1 ? engine.memory.slice(baseAt, baseAt + tr.layerLen[tr.layerIndex] * 2) : null;
    const at = await loadSealed(engine, folder, c, top, shift, playing, report);
    if (at < 0) break; // reported and kept as a recovered file; what lies above it cannot load either
    loaded++;
    loadedCurrent = loaded - 1;
    baseAt = at;
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
  const state = loadedCurrent < 0 ? 'empty' : t.state === 'empty' ? 'playing' : t.state;
  if (loaded > 0 || t.layers.length > 0) report.tracks.push({ track: t.track, layers: loaded, current: loadedCurrent, state });
}

/** Capture files that no saved layer was made from, with readable headers; unreadable ones are reported. */
async function pendingCaptures(folder: SessionFolder, m: Manifest | null, report: RestoreReport): Promise<PendingCapture[]> {
  const done = new Set<string>();
  for (const t of m?.tracks ?? []) for (const l of t.layers) if (l.from) done.add(l.from);
  const out: PendingCapture[] = [];
  const names = await folder.list(CAPTURE_DIR);
  for (const name of names) {
    const file = folder.capture(name);
    if (name.endsWith(SEAL_EXT)) {
      // a seal outlives its capture only by a crash between the two deletions
      if (!names.includes(name.slice(0, -SEAL_EXT.length))) await fs.promises.rm(file, { force: true });
      continue;
    }
    if (!name.endsWith(CAPTURE_EXT)) continue;
    if (done.has(name)) {
      // its layer is saved: a crash came between the two
      await fs.promises.rm(file, { force: true });
      await fs.promises.rm(file + SEAL_EXT, { force: true });
      continue;
    }
    const head = await readHead(file);
    if (head.length === 0) {
      // created, then nothing written (the disk was full): it holds no audio
      await fs.promises.rm(file, { force: true });
      report.problems.push(`${file}: empty capture (nothing was written to it, the disk may have been full); removed`);
      continue;
    }
    try {
      const { header } = parseCapture(file, head);
      out.push({ name, header, sealed: await readSeal(file + SEAL_EXT) });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      report.problems.push(`${e.message}; the file is left in place`);
    }
  }
  return out;
}

/** A capture's seal, or null when there is none (the pass did not end) or it cannot be read. */
async function readSeal(file: string): Promise<{ seal: CaptureSeal; tail: Float32Array } | null> {
  try {
    return parseSeal(file, await fs.promises.readFile(file));
  } catch {
    return null; // written atomically: a bad one was not written by us; the capture is recovered as a take
  }
}

/**
 * Rebuilds a sealed pass, writes it as its layer file, loads it on top of the track and hands it to the
 * autosave (adopted, with its capture: deleted once a manifest names the layer). Returns the layer's
 * arena offset, or -1 when it could not be loaded (then it is recovered as a file and reported).
 */
async function loadSealed(
  engine: Engine, folder: SessionFolder, c: PendingCapture, base: Float32Array | null, shift: number, playing: boolean, report: RestoreReport,
): Promise<number> {
  const { seal, tail } = c.sealed as { seal: CaptureSeal; tail: Float32Array };
  const file = folder.capture(c.name);
  const { header, data } = parseCapture(file, await fs.promises.readFile(file));
  const layer = header.kind === 'record' || base ? sealedLayer(header, data, base, seal, tail) : null;
  const track = header.track;
  if (!layer) {
    if (base || header.kind === 'record') report.problems.push(`${file}: sealed, but the capture is shorter than its seal says; recovered as a take`);
    await recoverCapture(folder, { ...c, sealed: null }, base, report);
    return -1;
  }
  const out = folder.layer(seal.file);
  try {
    await writeFileAtomic(out, encodeWav(layer, 2, header.sampleRate, 'float32'));
  } catch (err) {
    report.problems.push(`track ${track}: a completed pass was not restored: ${writeError(out, err).message}; the capture ${file} is kept`);
    return -1;
  }
  const anchor = seal.anchor + shift;
  if (!engine.loadLoop(track, layer, anchor, playing)) {
    report.problems.push(`track ${track}: a completed pass (${seal.file}) not restored: the engine's memory budget is full; the capture ${file} is kept`);
    return -1;
  }
  const tr = engine.tracks[track - 1];
  report.adopted.push({ track, id: tr.layerId[tr.layerIndex], file: seal.file, frames: seal.len, anchor, from: c.name, capture: c.name });
  return tr.layerLoop[tr.layerIndex];
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
  // a sealed pass that could not go back into its track: the whole layer it became
  const whole = c.sealed && (header.kind === 'record' || base) ? sealedLayer(header, data, base, c.sealed.seal, c.sealed.tail) : null;
  const take = whole || (header.kind === 'overdub' ? replayOverdub(header, data, base) : data);
  const out = folder.recovered(c.name.replace(/\.cap$/, '.wav'));
  try {
    await fs.promises.mkdir(folder.recovered(''), { recursive: true });
    await writeFileAtomic(out, encodeWav(take, 2, header.sampleRate, 'float32'));
  } catch (err) {
    report.problems.push(`${writeError(out, err).message}; the capture ${file} is kept`);
    return null;
  }
  await fs.promises.rm(file, { force: true });
  await fs.promises.rm(file + SEAL_EXT, { force: true });
  const loopFrames = take.length / 2;
  const frames = header.kind === 'overdub' && !whole ? Math.min(data.length / 2, loopFrames) : loopFrames;
  const reported: RecoveredTake = {
    track: header.track, kind: header.kind, file: out, frames, seconds: frames / header.sampleRate, loopFrames, redo: false,
  };
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
async function removeOrphans(folder: SessionFolder, m: Manifest, adopted: AdoptedLayer[]): Promise<void> {
  const named = new Set([...m.tracks.flatMap((t) => t.layers.map((l) => l.file)), ...adopted.map((a) => a.file)]);
  for (const name of await folder.list(LAYERS_DIR)) if (!named.has(name)) await fs.promises.rm(folder.layer(name), { force: true });
}
