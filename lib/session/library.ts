import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { Engine } from '../engine/engine';
import { InputError, numberIn } from '../engine/commands';
import { DEFAULT_OPTIONS, LIMITS } from '../engine/types';
import { MAX_LAYERS } from '../engine/track';
import { Autosave, linkOrCopy } from './autosave';
import { syncDir, writeFileAtomic } from './durable';
import { SessionFolder } from './folder';
import { MANIFEST_VERSION, Manifest, ROUTING_DEFAULTS, SESSION_FORMAT, TrackEntry, emptyTrack } from './manifest';
import { AUTOSAVE, sessionName } from './names';
import { RestoreReport, restoreSession } from './restore';
import { readWavInput } from './import';
import { encodeWav, writeError } from './wav';
import { PathProblem, checkInside } from './safe-file';

// Named sessions in a session root (the config node's session folder, or `--dir` on the command line):
//
//   <root>/autosave/          the live session, kept by Autosave; restored after a crash or restart
//   <root>/sessions/<name>/   named sessions (SessionFolder layout)
//   <root>/exports/<name>/    mixdowns and stems exported live (exportTarget)
//
// A save never leaves a half-written session under its name: it is built in a hidden staging folder
// (layer files hard-linked from the autosave: they never change) and renamed into place; a replaced or
// deleted session is first renamed aside, so a crash leaves either the old or the new one.

export interface SessionSummary {
  name: string;
  savedAt: string;
  sampleRate: number;
  bpm: number;
  /** tracks that hold a playing or stopped loop */
  tracks: number;
  layers: number;
  /** the longest playing loop, in seconds */
  seconds: number;
  /** bytes of layer files */
  bytes: number;
  /** set when the session cannot be read; the other fields are then 0 */
  problem?: string;
}

export interface ImportOptions {
  /** the session's rate when the import creates it (default 48000); an existing session keeps its own */
  sampleRate?: number;
  bpm?: number;
}

const SESSIONS_DIR = 'sessions';
const EXPORTS_DIR = 'exports';
const STAGING = /^\.(.+)\.[0-9a-f]{8}\.(new|old|deleted)$/;

export class SessionLibrary {
  readonly autosaveDir: string;
  private readonly sessionsDir: string;

  constructor(readonly root: string) {
    this.autosaveDir = path.join(root, AUTOSAVE);
    this.sessionsDir = path.join(root, SESSIONS_DIR);
  }

  /** The folder of a session by name ("autosave" is the live session's), validated against path tricks. */
  dirOf(name: unknown): string {
    const n = sessionName(name, 'name', true);
    return n.toLowerCase() === AUTOSAVE ? this.autosaveDir : path.join(this.sessionsDir, n);
  }

  /** The saved sessions, by name; a damaged one (or a link leading out of the root) is listed with `problem`. */
  async list(): Promise<SessionSummary[]> {
    await this.repair();
    const names = (await fs.promises.readdir(this.sessionsDir).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
    return Promise.all(names.map((n) => {
      const dir = path.join(this.sessionsDir, n);
      const outside = this.outsideProblem(dir);
      return outside ? { ...EMPTY_SUMMARY, name: n, problem: outside } : summarize(n, dir);
    }));
  }

  /** Why `dir` cannot be used: it leads out of the root through a symbolic link (undefined when fine or absent). */
  private outsideProblem(dir: string): string | undefined {
    try {
      checkInside(dir, this.root);
      return undefined;
    } catch (e) {
      if (e instanceof PathProblem) return e.message;
      return undefined; // absent: nothing to follow
    }
  }

  /** Throws InputError on `field` when `dir` leads out of the root (a planted symbolic link). */
  private mustStayInside(dir: string, field = 'name'): void {
    const problem = this.outsideProblem(dir);
    if (problem) throw new InputError(field, `${problem}; refused`);
  }

  /** A summary of the autosave (the live session), or null when there is none. */
  async autosaveSummary(): Promise<SessionSummary | null> {
    return new SessionFolder(this.autosaveDir).exists() ? summarize(AUTOSAVE, this.autosaveDir) : null;
  }

  /**
   * Saves the live session as `name` (replacing a session of that name): flushes the autosave, then
   * snapshots its folder. From the CLI `from` is a folder (the autosave folder of a stopped host).
   */
  async save(name: unknown, from: Autosave | string): Promise<SessionSummary> {
    const n = sessionName(name);
    await this.repair();
    for (let attempt = 1; ; attempt++) {
      if (typeof from !== 'string') await from.flush();
      const src = new SessionFolder(typeof from === 'string' ? from : from.folder.dir);
      const { manifest } = await src.readManifest();
      if (!manifest) throw new InputError('session', `nothing to save: ${src.dir} holds no readable session`);
      try {
        await this.install(n, async (staging) => {
          for (const t of manifest.tracks) for (const l of t.layers) await linkOrCopy(src.layer(l.file), staging.layer(l.file));
          manifest.savedAt = new Date().toISOString();
          await staging.writeManifest(manifest);
        });
        return summarize(n, this.dirOf(n));
      } catch (err) {
        // a live autosave may drop a layer file between its manifest and our link (a clear mid-save): once more
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || typeof from === 'string' || attempt === 2) throw err;
      }
    }
  }

  /**
   * Where a live export named `name` goes: <root>/exports/<name>/mix.wav and stems/ (the folder is made).
   * The name is checked like a session name, so a msg cannot write anywhere else.
   */
  async exportTarget(name: unknown): Promise<{ mix: string; stemsDir: string }> {
    const dir = path.join(this.root, EXPORTS_DIR, sessionName(name, 'name', true));
    await fs.promises.mkdir(dir, { recursive: true });
    this.mustStayInside(dir);
    const stemsDir = path.join(dir, 'stems');
    this.mustStayInside(stemsDir);
    return { mix: path.join(dir, 'mix.wav'), stemsDir };
  }

  /**
   * Loads a named session into a live engine whose tracks are empty (restoreSession; call clearAll() and
   * run a block first), and lets the autosave take its layer files over by hard links. Returns what was
   * restored and what could not be.
   */
  async load(name: unknown, engine: Engine, autosave?: Autosave): Promise<RestoreReport> {
    const dir = await this.existing(name);
    const report = await restoreSession(engine, dir, { recover: false });
    autosave?.adopt(report.adopted, dir);
    return report;
  }

  /** Offline load: the named session becomes the autosave, which a host restores when it next starts. */
  async loadIntoAutosave(name: unknown): Promise<void> {
    const dir = await this.existing(name);
    const src = new SessionFolder(dir);
    const { manifest } = await src.readManifest();
    if (!manifest) throw new InputError('name', `${dir} holds no readable session`);
    await this.replaceFolder(this.autosaveDir, async (staging) => {
      for (const t of manifest.tracks) for (const l of t.layers) await linkOrCopy(src.layer(l.file), staging.layer(l.file));
      await staging.writeManifest(manifest);
    });
  }

  async delete(name: unknown): Promise<void> {
    const n = sessionName(name);
    const dir = await this.existing(n);
    const aside = asidePath(this.sessionsDir, n, 'deleted');
    await fs.promises.rename(dir, aside);
    await syncDir(this.sessionsDir);
    await fs.promises.rm(aside, { recursive: true, force: true });
  }

  /**
   * Adds a WAV (any rate, mono or stereo, 8/16/24/32-bit integer or 32/64-bit float; resampled to the
   * session's rate) as a new top layer of `track` in session `name` ("autosave" too), creating the
   * session if needed. The loop is anchored at frame 0, bar 1 of the session's grid. Offline: not while a
   * host uses that session (a live import is importIntoTrack).
   */
  async importWav(name: unknown, file: string, trackArg: unknown, options: ImportOptions = {}): Promise<{ frames: number; sampleRate: number; sourceRate: number }> {
    const dir = this.dirOf(name);
    this.mustStayInside(dir);
    const track = numberIn(trackArg, 'track', LIMITS.tracks, true);
    const folder = new SessionFolder(dir);
    const read = folder.exists() ? await folder.readManifest() : null;
    if (read && !read.manifest) throw new InputError('name', `${dir} holds a damaged session: ${read.problems.join('; ')}`);
    const m = read?.manifest ?? emptyManifest(options);
    const audio = await readWavInput(file, m.sampleRate);
    let t = m.tracks.find((x) => x.track === track);
    if (!t) {
      t = emptyTrack(track, m.quantize);
      m.tracks.push(t);
      m.tracks.sort((a, b) => a.track - b.track);
    }
    if (t.layers.length >= MAX_LAYERS) throw new InputError('track', `track ${track} already holds ${MAX_LAYERS} layers`);
    const layerFile = `t${track}-import-${randomBytes(4).toString('hex')}.wav`;
    await folder.create();
    try {
      await writeFileAtomic(folder.layer(layerFile), encodeWav(audio.data, 2, m.sampleRate, 'float32'));
    } catch (err) {
      throw writeError(folder.layer(layerFile), err);
    }
    // the import replaces what redo would have brought back, like a new pass
    t.layers = [...t.layers.slice(0, t.current + 1), { file: layerFile, frames: audio.frames, anchor: 0 }];
    t.current = t.layers.length - 1;
    if (t.state === 'empty') t.state = 'playing';
    // a deleted track holding a loop is a loop again
    t.live = true;
    if (m.masterTrack === 0) m.masterTrack = track;
    m.savedAt = new Date().toISOString();
    await folder.writeManifest(m);
    return { frames: audio.frames, sampleRate: m.sampleRate, sourceRate: audio.sourceRate };
  }

  /** The folder of an existing session ("autosave" too), or an InputError naming the sessions there are. */
  async existing(name: unknown): Promise<string> {
    const dir = this.dirOf(name);
    this.mustStayInside(dir);
    if (new SessionFolder(dir).exists()) return dir;
    const names = (await this.list()).map((s) => s.name);
    throw new InputError('name', `no session named ${JSON.stringify(name)}; saved sessions: ${names.length > 0 ? names.join(', ') : '(none)'}`);
  }

  private async install(name: string, fill: (staging: SessionFolder) => Promise<void>): Promise<void> {
    await fs.promises.mkdir(this.sessionsDir, { recursive: true }).catch((err: Error) => {
      throw writeError(this.sessionsDir, err);
    });
    this.mustStayInside(this.sessionsDir);
    await this.replaceFolder(path.join(this.sessionsDir, name), fill, name);
  }

  /** Builds a folder in a hidden staging folder beside `dir`, then swaps it in. */
  private async replaceFolder(dir: string, fill: (staging: SessionFolder) => Promise<void>, name = path.basename(dir)): Promise<void> {
    const parent = path.dirname(dir);
    await fs.promises.mkdir(parent, { recursive: true });
    const staging = new SessionFolder(asidePath(parent, name, 'new'));
    try {
      await staging.create();
      await fill(staging);
      await syncDir(path.join(staging.dir, 'layers'));
      const old = asidePath(parent, name, 'old');
      const replacing = fs.existsSync(dir);
      if (replacing) await fs.promises.rename(dir, old);
      await fs.promises.rename(staging.dir, dir);
      await syncDir(parent);
      if (replacing) await fs.promises.rm(old, { recursive: true, force: true });
    } catch (err) {
      await fs.promises.rm(staging.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Finishes what a crash interrupted: a session renamed aside and not replaced comes back; staging folders go. */
  private async repair(): Promise<void> {
    for (const parent of [this.sessionsDir, this.root]) {
      const names = await fs.promises.readdir(parent).catch(() => [] as string[]);
      for (const n of names) {
        const hit = STAGING.exec(n);
        if (!hit) continue;
        const dir = path.join(parent, n);
        const original = path.join(parent, hit[1]);
        if (hit[2] === 'old' && !fs.existsSync(original)) await fs.promises.rename(dir, original);
        else await fs.promises.rm(dir, { recursive: true, force: true });
      }
    }
  }
}

/** A hidden name beside a session folder, for staging and for moving one aside (see STAGING, repair()). */
function asidePath(parent: string, name: string, kind: 'new' | 'old' | 'deleted'): string {
  return path.join(parent, `.${name}.${randomBytes(4).toString('hex')}.${kind}`);
}

const EMPTY_SUMMARY: SessionSummary = { name: '', savedAt: '', sampleRate: 0, bpm: 0, tracks: 0, layers: 0, seconds: 0, bytes: 0 };

function emptyManifest(o: ImportOptions): Manifest {
  return {
    format: SESSION_FORMAT, version: MANIFEST_VERSION, savedAt: '',
    sampleRate: o.sampleRate === undefined ? DEFAULT_OPTIONS.sampleRate : numberIn(o.sampleRate, 'sampleRate', LIMITS.sampleRate, true),
    bpm: o.bpm === undefined ? DEFAULT_OPTIONS.bpm : numberIn(o.bpm, 'bpm', LIMITS.bpm),
    beatsPerBar: DEFAULT_OPTIONS.beatsPerBar, quantize: DEFAULT_OPTIONS.quantize, masterVolume: 1, masterTrack: 0, ...ROUTING_DEFAULTS, tracks: [],
  };
}

async function summarize(name: string, dir: string): Promise<SessionSummary> {
  const folder = new SessionFolder(dir);
  const { manifest: m, problems } = await folder.readManifest();
  if (!m) return { name, savedAt: '', sampleRate: 0, bpm: 0, tracks: 0, layers: 0, seconds: 0, bytes: 0, problem: problems.join('; ') };
  let bytes = 0;
  for (const t of m.tracks) for (const l of t.layers) bytes += (await fs.promises.stat(folder.layer(l.file)).catch(() => ({ size: 0 }))).size;
  const playing = m.tracks.filter((t: TrackEntry) => t.current >= 0);
  const longest = Math.max(0, ...playing.map((t) => t.layers[t.current].frames));
  return {
    name, savedAt: m.savedAt, sampleRate: m.sampleRate, bpm: m.bpm, tracks: playing.length,
    layers: m.tracks.reduce((sum, t) => sum + t.layers.length, 0), seconds: longest / m.sampleRate, bytes,
  };
}
