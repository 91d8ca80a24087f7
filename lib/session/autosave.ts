import * as fs from 'fs';
import { randomBytes } from 'crypto';
import { Engine } from '../engine/engine';
import { sourceName } from '../engine/routing';
import { Track, WriteMode, WriteProgress } from '../engine/track';
import { QUANTIZE_MODES, State } from '../engine/types';
import { CaptureTiming, CaptureWriter, PassKind, SEAL_EXT } from './capture';
import { StagedFile } from './durable';
import { SessionFolder } from './folder';
import { LayerEntry, MANIFEST_VERSION, Manifest, SESSION_FORMAT, TrackEntry } from './manifest';
import { float32Bytes, wavHeader, writeError } from './wav';

// Autosave: keeps a session folder in step with a live engine, without ever making a block wait.
//
// The engine host calls afterBlock() after each process(). It looks at the engine between blocks (a few
// field reads per track) and only queues work:
//  - the pass in progress is copied out of the arena as it is written and streamed to a capture file
//    (capture.ts): a kill -9 loses at most `appendFrames`, a power cut about `syncMs`;
//  - each completed pass (a layer no write is pending on) becomes a float32 WAV in layers/, copied out
//    of the arena in slices of `copyFramesPerTick` frames per event-loop turn (a 10-minute layer never
//    stalls a block) and written through a temp file, fsync and rename;
//  - the manifest (and its backup) is rewritten whenever what it would say changes, listing only layers
//    whose files are complete, so whatever the disk holds after a crash is consistent;
//  - a capture is deleted only once a manifest naming its layer is on the disk, and a dropped layer's
//    file only once no manifest names it.
// A completed layer's region in the arena never changes while the layer exists, so copying it in slices
// is safe as long as each slice first checks that the layer is still there.
//
// Files are named by a random run id and the engine's layer id (or the pass's first frame), so nothing
// written by one run is overwritten by the next.

export interface AdoptedLayer {
  track: number;
  /** the engine's id for the layer (Track.layerId) */
  id: number;
  file: string;
  frames: number;
  anchor: number;
  from?: string;
  /** a sealed capture the layer was rebuilt from: deleted once a manifest names the layer */
  capture?: string;
}

export interface AutosaveOptions {
  /** layers already in the folder (restoreSession's report): not written again */
  adopted?: AdoptedLayer[];
  /** a write failed (disk full, permissions): one WavError per failed file; the engine plays on */
  onError?: (err: Error) => void;
  /** frames of completed layers copied out of the arena per event-loop turn (default 16384: 128 KiB) */
  copyFramesPerTick?: number;
  capture?: Partial<CaptureTiming>;
}

interface SavedLayer {
  track: number;
  id: number;
  file: string;
  frames: number;
  anchor: number;
  from?: string;
  durable: boolean;
}

interface LayerJob {
  layer: SavedLayer;
  /** arena offset of the layer when it was found */
  loop: number;
  done: number;
  out: StagedFile | null;
}

interface ActiveCapture {
  writer: CaptureWriter;
  name: string;
  loop: number;
  began: number;
  len: number;
  startPos: number;
  /** frames of the pass already handed to the writer */
  captured: number;
}

interface EndedCapture {
  name: string;
  track: number;
  /** the layer the pass became, or null (cancelled) */
  layerId: number | null;
  closed: Promise<void>;
}

/** What autosave last saw of a track; a change in `sig` means its layers must be looked at again. */
class Watch {
  readonly layers = new Map<number, SavedLayer>();
  /** layerCount, layerIndex, first id, last id, write mode, write region */
  readonly sig = new Float64Array(6).fill(NaN);
  capture: ActiveCapture | null = null;
  /** the region and capture name of the pass that ended last, to name its layer's source */
  endedLoop = -1;
  endedName = '';
  /** volume, pan, muted, soloed, state */
  readonly mixer = new Float64Array(5).fill(NaN);
  /** live, quantize, feedback, input gain, source, cue bus, cue send */
  readonly settings = new Float64Array(7).fill(NaN);
}

const NO_LAYER = -1;
/** staging buffers of copyFramesPerTick frames: 16 x 128 KiB by default */
const STAGING_BUFFERS = 16;

export class Autosave {
  readonly folder: SessionFolder;
  readonly run = randomBytes(3).toString('hex');
  private readonly watches: Watch[];
  private readonly progress: WriteProgress = { mode: WriteMode.None, loop: -1, len: 0, startPos: 0, framesWritten: 0, began: 0 };
  private readonly copyFrames: number;
  private readonly timing: CaptureTiming;
  private readonly jobs: LayerJob[] = [];
  private readonly ended: EndedCapture[] = [];
  /** files of layers that left the engine: deleted once a manifest without them is on the disk */
  private dropped: SavedLayer[] = [];
  /** bpm, beats per bar, quantize, master volume, master track */
  private readonly globals = new Float64Array(5).fill(NaN);
  /** metronome bus, monitor bus, monitor input */
  private readonly routing = new Float64Array(3).fill(NaN);
  /** what afterBlock() reads this block, compared with what it stored (Watch.settings, routing) */
  private readonly seen = new Float64Array(7);
  private dirty = true;
  private manifestBusy = false;
  private pumpScheduled = false;
  /**
   * Staging buffers for layer slices, reused: writing a long layer makes no garbage (a fresh buffer per
   * slice made the GC stall the event loop for 10-30 ms), and when the disk falls behind, copying waits
   * for a buffer instead of piling up memory.
   */
  private readonly freeBuffers: Float32Array[] = [];
  private buffers = 0;
  /** commits, links and manifest writes in flight */
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private unusable = false;
  private readonly ready: Promise<void>;
  /** resolves once the folder is made (null) or could not be (the error, also passed to onError): then nothing is autosaved */
  readonly started: Promise<Error | null>;

  constructor(readonly engine: Engine, dir: string, private readonly options: AutosaveOptions = {}) {
    this.folder = new SessionFolder(dir);
    this.watches = engine.tracks.map(() => new Watch());
    this.copyFrames = options.copyFramesPerTick ?? 16384;
    this.timing = { appendFrames: Math.round(engine.sampleRate / 20), syncMs: 500, ...options.capture };
    for (const { capture, ...a } of options.adopted ?? []) {
      this.watches[a.track - 1].layers.set(a.id, { ...a, durable: true });
      if (capture) this.ended.push({ name: capture, track: a.track, layerId: a.id, closed: Promise.resolve() });
    }
    // creating the folders is the only wait: nothing is written before it is done
    this.ready = this.folder.create();
    this.started = this.ready.then(() => null, (err: Error) => {
      // without its folder the autosave can do nothing: say so once and stand aside
      this.unusable = true;
      this.jobs.length = 0;
      const problem = writeError(dir, err);
      this.fail(problem);
      this.settle();
      return problem;
    });
  }

  /**
   * Call after every engine.process() (and after loading loops into the engine). Reads the engine and
   * queues disk work; never waits and allocates only when a pass is written (its copy).
   */
  afterBlock(): void {
    if (this.closed || this.unusable) return;
    const e = this.engine;
    for (let i = 0; i < e.tracks.length; i++) {
      const tr = e.tracks[i];
      const w = this.watches[i];
      const p = e.writeProgress(tr.number, this.progress);
      this.followCapture(tr, w, p);
      if (this.layersMoved(tr, w, p)) this.followLayers(tr, w, p);
      if (changed(w.mixer, tr.volume, tr.pan, +tr.muted, +tr.soloed, tr.state)) this.dirty = true;
      if (this.settingsChanged(tr, w)) this.dirty = true;
    }
    if (changed(this.globals, e.transport.bpm, e.transport.beatsPerBar, e.quantize, e.masterVolume, e.masterTrack)) this.dirty = true;
    const now = this.seen;
    now[0] = e.metronomeBus;
    now[1] = e.monitorBus;
    now[2] = e.monitorInput;
    if (stored(this.routing, now)) this.dirty = true;
    if (this.dirty) this.writeManifestSoon();
  }

  /** Whether a track's per-loop settings or routing changed since the last look (stores them). */
  private settingsChanged(tr: Track, w: Watch): boolean {
    const now = this.seen;
    now[0] = +tr.live;
    now[1] = tr.quantize;
    now[2] = tr.feedback;
    now[3] = tr.inputGain;
    now[4] = tr.source;
    now[5] = tr.cueBus;
    now[6] = tr.cueSend;
    return stored(w.settings, now);
  }

  /**
   * Layers already saved in another session folder (a named session just loaded into the engine): they
   * are hard-linked (or copied) into this folder instead of being written from the arena. Call right
   * after loading them, before the next afterBlock().
   */
  adopt(layers: AdoptedLayer[], fromDir: string): void {
    const from = new SessionFolder(fromDir);
    for (const a of layers) {
      const layer: SavedLayer = { ...a, durable: false };
      this.watches[a.track - 1].layers.set(a.id, layer);
      this.track(
        this.ready
          .then(() => linkOrCopy(from.layer(a.file), this.folder.layer(a.file)))
          .then(() => {
            layer.durable = true;
            this.dirty = true;
          }, (err: Error) => this.fail(writeError(this.folder.layer(a.file), err))),
      );
    }
  }

  /** Resolves once everything the engine holds now is on the disk: layers, manifest, and the pass in progress so far. */
  async flush(): Promise<void> {
    this.afterBlock();
    this.dirty = true;
    this.writeManifestSoon();
    this.pumpSoon();
    await Promise.all(this.watches.map((w) => w.capture?.writer.sync().catch(() => undefined)));
    while (!this.idle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Flushes and stops. A pass still in progress keeps its capture file, so the next start offers it as
   * recovered audio (a clean quit mid-take loses nothing either).
   */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await Promise.all(this.watches.map((w) => w.capture?.writer.close().catch(() => undefined)));
  }

  // ---------------------------------------------------------------- the pass in progress

  private followCapture(tr: Track, w: Watch, p: WriteProgress): void {
    const c = w.capture;
    if (c && (p.mode === WriteMode.None || p.began !== c.began || p.loop !== c.loop)) this.endCapture(tr, w, c);
    if (p.mode === WriteMode.None) return;
    if (!w.capture) w.capture = this.startCapture(tr, p);
    const cap = w.capture;
    if (p.framesWritten > cap.captured) {
      cap.writer.push(this.copyPass(cap, cap.captured, p.framesWritten - cap.captured));
      cap.captured = p.framesWritten;
    }
  }

  private startCapture(tr: Track, p: WriteProgress): ActiveCapture {
    const kind: PassKind = p.mode === WriteMode.Record ? 'record' : 'overdub';
    const i = indexOfLoop(tr, p.loop);
    // the layer the overdub copied: its file may come from an earlier run (adopted)
    const baseId = kind === 'overdub' && i > 0 ? tr.layerId[i - 1] : NO_LAYER;
    const base = baseId === NO_LAYER ? null : this.watches[tr.number - 1].layers.get(baseId)?.file ?? layerFileName(tr.number, this.run, baseId);
    const name = `t${tr.number}-${this.run}-${p.began}.cap`;
    const header = {
      version: 1, track: tr.number, kind, sampleRate: this.engine.sampleRate, startPos: p.startPos, len: p.len,
      anchor: kind === 'overdub' && i >= 0 ? tr.layerAnchor[i] : 0, began: p.began, base, createdAt: new Date().toISOString(),
    };
    const writer = new CaptureWriter(this.folder.capture(name), header, this.timing, this.ready);
    return { writer, name, loop: p.loop, began: p.began, len: p.len, startPos: p.startPos, captured: 0 };
  }

  /** Frames [from, from + n) of a pass, copied out of the arena (positions wrap for an overdub). */
  private copyPass(c: ActiveCapture, from: number, n: number): Float32Array {
    const m = this.engine.memory;
    if (c.len === 0) return m.slice(c.loop + from * 2, c.loop + (from + n) * 2);
    const out = new Float32Array(n * 2);
    let done = 0;
    while (done < n) {
      const pos = (c.startPos + from + done) % c.len;
      const run = Math.min(n - done, c.len - pos);
      out.set(m.subarray(c.loop + pos * 2, c.loop + (pos + run) * 2), done * 2);
      done += run;
    }
    return out;
  }

  private endCapture(tr: Track, w: Watch, c: ActiveCapture): void {
    w.capture = null;
    const i = indexOfLoop(tr, c.loop);
    w.endedLoop = c.loop;
    w.endedName = c.name;
    // a pass that became a layer is sealed: its capture then holds it whole until a manifest names the layer
    const done = i >= 0 ? this.seal(tr, i, c) : c.writer.close();
    const closed = done.catch((err: Error) => this.fail(writeError(c.writer.path, err)));
    this.ended.push({ name: c.name, track: tr.number, layerId: i >= 0 ? tr.layerId[i] : null, closed });
    this.dirty = true;
  }

  /**
   * Seals the capture of a pass that became layer i (its region is final now). The stream's end comes
   * from the layer: a recording's last crossfadeFrames were crossfaded again when it ended, and an
   * overdub wrote until the block it ended in (frames past its end hold the region's final content).
   */
  private seal(tr: Track, i: number, c: ActiveCapture): Promise<void> {
    const len = tr.layerLen[i];
    const record = c.len === 0;
    const streamTo = record ? len : this.engine.frame - c.began;
    const minFrom = record ? len - Math.min(this.engine.crossfadeFrames, Math.floor(len / 2)) : Math.min(c.captured, streamTo);
    const seal = { len, anchor: tr.layerAnchor[i], file: layerFileName(tr.number, this.run, tr.layerId[i]), streamTo };
    return c.writer.seal(seal, minFrom, (from) => this.copyPass(c, from, streamTo - from));
  }

  // ---------------------------------------------------------------- completed layers

  private layersMoved(tr: Track, w: Watch, p: WriteProgress): boolean {
    const n = tr.layerCount;
    const s = w.sig;
    const first = n > 0 ? tr.layerId[0] : NO_LAYER;
    const last = n > 0 ? tr.layerId[n - 1] : NO_LAYER;
    if (s[0] === n && s[1] === tr.layerIndex && s[2] === first && s[3] === last && s[4] === p.mode && s[5] === p.loop) return false;
    s[0] = n;
    s[1] = tr.layerIndex;
    s[2] = first;
    s[3] = last;
    s[4] = p.mode;
    s[5] = p.loop;
    return true;
  }

  private followLayers(tr: Track, w: Watch, p: WriteProgress): void {
    const present = new Set<number>();
    for (let i = 0; i < tr.layerCount; i++) {
      const id = tr.layerId[i];
      present.add(id);
      if (w.layers.has(id)) continue;
      if (p.mode !== WriteMode.None && tr.layerLoop[i] === p.loop) continue; // still being written
      const layer: SavedLayer = {
        track: tr.number, id, file: layerFileName(tr.number, this.run, id), frames: tr.layerLen[i], anchor: tr.layerAnchor[i], durable: false,
      };
      if (w.endedLoop === tr.layerLoop[i]) {
        layer.from = w.endedName;
        w.endedLoop = -1;
      }
      w.layers.set(id, layer);
      this.jobs.push({ layer, loop: tr.layerLoop[i], done: 0, out: null });
    }
    for (const [id, layer] of w.layers) {
      if (present.has(id)) continue;
      w.layers.delete(id);
      this.dropped.push(layer);
    }
    this.dirty = true;
    this.pumpSoon();
  }

  private pumpSoon(): void {
    if (this.pumpScheduled || this.jobs.length === 0) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.ready.then(() => this.pump(), () => undefined);
    });
  }

  /** Copies up to copyFrames frames of waiting layers into their files; one turn of the event loop. */
  private pump(): void {
    let budget = this.copyFrames;
    while (budget > 0 && this.jobs.length > 0) {
      const job = this.jobs[0];
      const { layer } = job;
      const tr = this.engine.tracks[layer.track - 1];
      const i = indexOfId(tr, layer.id);
      if (i < 0 || tr.layerLoop[i] !== job.loop || this.watches[layer.track - 1].layers.get(layer.id) !== layer) {
        // the layer left the engine before it was saved (cleared, or dropped from the undo history)
        this.jobs.shift();
        void job.out?.abort();
        this.settle();
        continue;
      }
      const buffer = this.takeBuffer();
      if (!buffer) return; // every buffer is waiting for the disk: releasing one pumps again
      if (!job.out) {
        job.out = new StagedFile(this.folder.layer(layer.file));
        job.out.append(wavHeader(layer.frames, 2, this.engine.sampleRate, 'float32'));
      }
      const n = Math.min(budget, this.copyFrames, layer.frames - job.done);
      const from = job.loop + job.done * 2;
      buffer.set(this.engine.memory.subarray(from, from + n * 2));
      job.out.append(float32Bytes(buffer.subarray(0, n * 2)), () => this.releaseBuffer(buffer));
      job.done += n;
      budget -= n;
      if (job.done === layer.frames) {
        this.jobs.shift();
        const out = job.out;
        // the layer file appears only once its pass's capture is sealed: a restart finds one or the other whole
        const sealed = this.ended.find((c) => c.name === layer.from)?.closed ?? Promise.resolve();
        this.track(
          sealed.then(() => out.commit()).then(() => {
            layer.durable = true;
            this.dirty = true;
          }, (err: Error) => this.fail(writeError(this.folder.layer(layer.file), err))),
        );
      }
    }
    this.pumpSoon();
  }

  private takeBuffer(): Float32Array | null {
    const free = this.freeBuffers.pop();
    if (free) return free;
    if (this.buffers === STAGING_BUFFERS) return null;
    this.buffers++;
    return new Float32Array(this.copyFrames * 2);
  }

  private releaseBuffer(buffer: Float32Array): void {
    this.freeBuffers.push(buffer);
    this.pumpSoon();
  }

  // ---------------------------------------------------------------- the manifest

  private writeManifestSoon(): void {
    if (this.manifestBusy || this.closed) return;
    this.manifestBusy = true;
    this.dirty = false;
    const { manifest, listed } = this.buildManifest();
    // layers dropped before this manifest was built: it does not name them, so once it is written they can go
    const gone = this.dropped;
    this.dropped = [];
    this.track(
      this.ready
        .then(() => this.folder.writeManifest(manifest))
        .then(() => this.afterManifest(listed, gone), (err: Error) => this.unusable || this.fail(writeError(this.folder.dir, err)))
        .finally(() => {
          this.manifestBusy = false;
          if (this.dirty) this.writeManifestSoon();
        }),
    );
  }

  private buildManifest(): { manifest: Manifest; listed: Set<number> } {
    const e = this.engine;
    const listed = new Set<number>();
    const tracks: TrackEntry[] = e.tracks.map((tr, t) => {
      const w = this.watches[t];
      const layers: LayerEntry[] = [];
      let current = -1;
      for (let i = 0; i < tr.layerCount; i++) {
        const s = w.layers.get(tr.layerId[i]);
        if (!s?.durable) continue;
        layers.push({ file: s.file, frames: s.frames, anchor: s.anchor, ...(s.from ? { from: s.from } : {}) });
        listed.add(s.id);
        if (i <= tr.layerIndex) current = layers.length - 1;
      }
      return {
        track: tr.number,
        state: current < 0 ? 'empty' : tr.state === State.Stopped ? 'stopped' : 'playing',
        volume: tr.volume, pan: tr.pan, muted: tr.muted, soloed: tr.soloed,
        live: tr.live, quantize: QUANTIZE_MODES[tr.quantize], feedback: tr.feedback, inputGain: tr.inputGain,
        source: sourceName(tr.source), cueBus: tr.cueBus, cueSend: tr.cueSend, current, layers,
      };
    });
    const manifest: Manifest = {
      format: SESSION_FORMAT, version: MANIFEST_VERSION, savedAt: new Date().toISOString(), sampleRate: e.sampleRate,
      bpm: e.transport.bpm, beatsPerBar: e.transport.beatsPerBar, quantize: QUANTIZE_MODES[e.quantize],
      masterVolume: e.masterVolume, masterTrack: e.masterTrack,
      metronomeBus: e.metronomeBus, monitorBus: e.monitorBus, monitorInput: sourceName(e.monitorInput), tracks,
    };
    return { manifest, listed };
  }

  /** A manifest is on the disk: captures and layer files it made unnecessary can go. */
  private async afterManifest(listed: Set<number>, gone: SavedLayer[]): Promise<void> {
    for (let k = this.ended.length - 1; k >= 0; k--) {
      const c = this.ended[k];
      const saved = c.layerId !== null && this.watches[c.track - 1].layers.get(c.layerId);
      if (saved && !listed.has(c.layerId as number)) continue; // its layer is not on the disk yet
      this.ended.splice(k, 1);
      await c.closed;
      await fs.promises.rm(this.folder.capture(c.name), { force: true });
      await fs.promises.rm(this.folder.capture(c.name + SEAL_EXT), { force: true });
    }
    // a file can come back under the same name: a session saved from this folder, loaded again
    const inUse = new Set(this.watches.flatMap((w) => [...w.layers.values()].map((l) => l.file)));
    for (const layer of gone) if (!inUse.has(layer.file)) await fs.promises.rm(this.folder.layer(layer.file), { force: true });
  }

  // ---------------------------------------------------------------- bookkeeping

  private track(p: Promise<unknown>): void {
    this.inFlight++;
    void p.finally(() => {
      this.inFlight--;
      if (this.dirty && !this.closed) this.writeManifestSoon();
      this.settle();
    });
  }

  /** Wakes flush() when nothing is left to do. */
  private settle(): void {
    if (this.idle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private idle(): boolean {
    if (this.unusable) return true;
    return this.jobs.length === 0 && this.inFlight === 0 && !this.manifestBusy && !this.dirty;
  }

  private fail(err: Error): void {
    if (this.options.onError) this.options.onError(err);
  }
}

/** A layer's file name: track, run and engine layer id, unique across runs of the same folder. */
export function layerFileName(track: number, run: string, id: number): string {
  return `t${track}-${run}-${id}.wav`;
}

/** Stores a, b, c, d, e in `last` and says whether any differed (a change the manifest must follow). */
function changed(last: Float64Array, a: number, b: number, c: number, d: number, e: number): boolean {
  if (last[0] === a && last[1] === b && last[2] === c && last[3] === d && last[4] === e) return false;
  last[0] = a;
  last[1] = b;
  last[2] = c;
  last[3] = d;
  last[4] = e;
  return true;
}

/** Copies the first last.length values of `now` into `last` and says whether any differed. */
function stored(last: Float64Array, now: Float64Array): boolean {
  let moved = false;
  for (let i = 0; i < last.length; i++) {
    if (last[i] === now[i]) continue;
    last[i] = now[i];
    moved = true;
  }
  return moved;
}

function indexOfLoop(tr: Track, loop: number): number {
  for (let i = 0; i < tr.layerCount; i++) if (tr.layerLoop[i] === loop) return i;
  return -1;
}

function indexOfId(tr: Track, id: number): number {
  for (let i = 0; i < tr.layerCount; i++) if (tr.layerId[i] === id) return i;
  return -1;
}

/** Hard-links a layer file (layers never change, so sessions can share them); copies across file systems. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fs.promises.link(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    await fs.promises.copyFile(from, to);
  }
}
