import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { Engine } from '../lib/engine/engine';
import { DEFAULT_OPTIONS } from '../lib/engine/types';
import { Autosave } from '../lib/session/autosave';
import { exportInWorker, mixSourceFromEngine, renderMixdown } from '../lib/session/export';
import { SessionLibrary } from '../lib/session/library';
import { restoreSession } from '../lib/session/restore';

// Session costs for a long loop set: `node --expose-gc dist/bench/session.js [--minutes 10] [--tracks 10] [--dir <folder>]`.
// Prints one JSON line per step (times in ms, memory in MiB). While the autosave writes, the engine runs
// paced like a sound card (256-frame blocks at 48 kHz) and the event loop's longest stall is recorded:
// that is what a block could be delayed by.

const args = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MINUTES = opt('minutes', 10);
const TRACKS = opt('tracks', 10);
const dirArg = args.indexOf('--dir');
const ROOT = dirArg >= 0 ? args[dirArg + 1] : fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-bench-'));
const RATE = 48000;
const BLOCK = 256;
const LOOP_FRAMES = Math.round((MINUTES * 60 * RATE) / TRACKS);
const MIB = 2 ** 20;

const gc = (global as { gc?: () => void }).gc ?? (() => undefined);
function memory(): { rssMiB: number; heapMiB: number; arrayBuffersMiB: number } {
  gc();
  const m = process.memoryUsage();
  return { rssMiB: Math.round(m.rss / MIB), heapMiB: Math.round(m.heapUsed / MIB), arrayBuffersMiB: Math.round(m.arrayBuffers / MIB) };
}
const print = (step: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ case: 'session', step, minutes: MINUTES, tracks: TRACKS, ...fields }));

function engine(): Engine {
  const loopMiB = (TRACKS * LOOP_FRAMES * 8) / MIB;
  return new Engine({ ...DEFAULT_OPTIONS, sampleRate: RATE, maxBlockFrames: BLOCK, tracks: TRACKS, memoryMiB: Math.ceil(loopMiB * 1.25) + 16 });
}

/** Runs blocks paced in real time until `done` resolves; returns the event loop's longest stall and the block count. */
async function playWhile(e: Engine, after: () => void, done: Promise<unknown>): Promise<{ maxStallMs: number; p99StallMs: number; blocks: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let finished = false;
  void done.then(() => (finished = true));
  const start = Date.now();
  let blocks = 0;
  while (!finished) {
    const due = Math.floor(((Date.now() - start) / 1000) * RATE / BLOCK);
    while (blocks < due) {
      e.process(BLOCK);
      e.events.drain(() => undefined);
      after();
      blocks++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  h.disable();
  return { maxStallMs: h.max / 1e6, p99StallMs: h.percentile(99) / 1e6, blocks };
}

async function main(): Promise<void> {
  print('start', memory());
  const live = engine();
  let seed = 1;
  for (let t = 1; t <= TRACKS; t++) {
    const data = new Float32Array(LOOP_FRAMES * 2);
    for (let i = 0; i < data.length; i++) data[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.5;
    live.loadLoop(t, data, RATE * 2);
  }
  const loopMiB = (TRACKS * LOOP_FRAMES * 8) / MIB;
  print('loops loaded', { loopMiB: Math.round(loopMiB), secondsPerLoop: LOOP_FRAMES / RATE, ...memory() });

  const idle = await playWhile(live, () => undefined, new Promise((r) => setTimeout(r, 1000)));
  print('baseline: playing 1 s, no session work', idle);

  const lib = new SessionLibrary(ROOT);
  const autosave = new Autosave(live, lib.autosaveDir);
  let t0 = Date.now();
  autosave.afterBlock();
  const saved = autosave.flush();
  const stalls = await playWhile(live, () => autosave.afterBlock(), saved);
  const saveMs = Date.now() - t0;
  print('autosave (all layers, while playing)', { ms: saveMs, MiBPerS: Math.round(loopMiB / (saveMs / 1000)), ...stalls, ...memory() });

  t0 = Date.now();
  await lib.save('bench', autosave);
  print('named save (hard links)', { ms: Date.now() - t0 });

  const fresh = engine();
  t0 = Date.now();
  const report = await restoreSession(fresh, lib.autosaveDir);
  print('restore into a fresh engine', { ms: Date.now() - t0, problems: report.problems.length, ...memory() });

  t0 = Date.now();
  const mix = renderMixdown(mixSourceFromEngine(live), 1);
  print('mixdown render (1 loop, all tracks, stems)', { ms: Date.now() - t0, seconds: mix.frames / RATE, ...memory() });

  t0 = Date.now();
  mixSourceFromEngine(live);
  print('copy of the live loops (mixSourceFromEngine, on the host thread)', { ms: Date.now() - t0 });

  t0 = Date.now();
  const exported = exportInWorker({ sessionDir: lib.autosaveDir }, { mix: path.join(ROOT, 'mix.wav'), stemsDir: path.join(ROOT, 'stems') });
  const exportStalls = await playWhile(live, () => autosave.afterBlock(), exported);
  print('live export from the autosave folder in a worker (while playing)', { ms: Date.now() - t0, ...exportStalls });
  await autosave.close();
  if (dirArg < 0) fs.rmSync(ROOT, { recursive: true, force: true });
}

void main();
