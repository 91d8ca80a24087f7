import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../engine/commands';
import { resampledLength } from '../dsp/resample';
import { writeFileAtomic } from './durable';
import { LayerEntry, MAX_MANIFEST_BYTES, Manifest, formatManifest, parseManifest } from './manifest';
import { WavError, readWavAsync } from './wav';
import { PathProblem, readRegularFile } from './safe-file';

// One session on disk:
//
//   session.json       the manifest (manifest.ts)
//   session.bak.json   the same manifest, written right after it: if one copy is damaged the other is
//                      whole, and at most one change behind
//   layers/            one float32 stereo WAV per undo layer, written once, never changed
//   capture/           passes in progress (capture.ts)
//   recovered/         takes rebuilt from captures after a crash, for the musician to keep or delete
//
// Layer files are immutable, so a named save hard-links them instead of copying.

export const MANIFEST_FILE = 'session.json';
export const BACKUP_FILE = 'session.bak.json';
export const LAYERS_DIR = 'layers';
export const CAPTURE_DIR = 'capture';
export const RECOVERED_DIR = 'recovered';

export class SessionFolder {
  constructor(readonly dir: string) {}

  layer(file: string): string {
    return path.join(this.dir, LAYERS_DIR, file);
  }

  capture(file: string): string {
    return path.join(this.dir, CAPTURE_DIR, file);
  }

  recovered(file: string): string {
    return path.join(this.dir, RECOVERED_DIR, file);
  }

  async create(): Promise<void> {
    for (const sub of [LAYERS_DIR, CAPTURE_DIR, RECOVERED_DIR]) await fs.promises.mkdir(path.join(this.dir, sub), { recursive: true });
  }

  exists(): boolean {
    return fs.existsSync(path.join(this.dir, MANIFEST_FILE)) || fs.existsSync(path.join(this.dir, BACKUP_FILE));
  }

  /** Writes the manifest, then its backup, each atomically. */
  async writeManifest(m: Manifest): Promise<void> {
    const bytes = Buffer.from(formatManifest(m));
    await writeFileAtomic(path.join(this.dir, MANIFEST_FILE), bytes);
    await writeFileAtomic(path.join(this.dir, BACKUP_FILE), bytes);
  }

  /**
   * The manifest, from session.json or else session.bak.json. `problems` says what was wrong with a
   * copy that could not be used; `primary` is false when the backup was used (or neither could be).
   */
  async readManifest(): Promise<{ manifest: Manifest | null; primary: boolean; problems: string[] }> {
    const problems: string[] = [];
    for (const name of [MANIFEST_FILE, BACKUP_FILE]) {
      const file = path.join(this.dir, name);
      try {
        const manifest = parseManifest(await readText(file), file);
        if (name === BACKUP_FILE && problems.length > 0) problems.push(`restored from ${file} (at most one change older)`);
        return { manifest, primary: name === MANIFEST_FILE, problems };
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        problems.push(e.message);
      }
    }
    return { manifest: null, primary: false, problems };
  }

  /**
   * A layer's audio at `sampleRate`, checked against its manifest entry. Throws InputError (naming the
   * file and what is wrong) for a missing, damaged or cut-off file.
   */
  async readLayer(entry: LayerEntry, manifestRate: number, sampleRate: number): Promise<Float32Array> {
    const file = this.layer(entry.file);
    let audio;
    try {
      // layers are never links (a planted one must not read a file elsewhere); hard links are fine
      audio = await readWavAsync(file, { sampleRate, noFollow: true });
    } catch (e) {
      if (e instanceof WavError) throw new InputError(file, e.problem);
      throw e;
    }
    const expected = resampledLength(entry.frames, manifestRate, sampleRate);
    if (audio.sourceRate !== manifestRate || audio.frames !== expected) {
      throw new InputError(file, `holds ${audio.frames} frames at ${audio.sourceRate} Hz, the manifest says ${entry.frames} at ${manifestRate} Hz (the file was cut off or replaced)`);
    }
    return audio.data;
  }

  /** Names in a sub-folder, without hidden files (temp files, staging). */
  async list(sub: string): Promise<string[]> {
    const names = await fs.promises.readdir(path.join(this.dir, sub)).catch(() => [] as string[]);
    return names.filter((n) => !n.startsWith('.')).sort();
  }

  /** Removes temp files left by writes that a crash interrupted (they are incomplete by definition). */
  async removeTempFiles(): Promise<void> {
    for (const sub of ['', LAYERS_DIR, RECOVERED_DIR]) {
      const dir = path.join(this.dir, sub);
      const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
      for (const n of names) if (n.startsWith('.') && n.endsWith('.tmp')) await fs.promises.rm(path.join(dir, n), { force: true });
    }
  }
}

async function readText(file: string): Promise<string> {
  try {
    return (await readRegularFile(file, { maxBytes: MAX_MANIFEST_BYTES, noFollow: true })).toString('utf8');
  } catch (e) {
    if (e instanceof PathProblem) throw new InputError(file, e.problem);
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, code === 'ENOENT' ? 'missing' : `cannot read (${code ?? e})`);
  }
}
