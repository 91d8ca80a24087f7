import { execFileSync } from 'child_process';
import { constants, performance, PerformanceObserver } from 'perf_hooks';
import { bindKernels, KERNEL_ARGS_FLOATS } from '../lib/dsp';
import { Arena } from '../lib/engine/arena';
import { Engine } from '../lib/engine/engine';
import { Cmd, DEFAULT_OPTIONS, EngineOptions } from '../lib/engine/types';
import { rng as seeded } from '../test/engine/harness';

// `npm run bench -- --json`: one JSON line per case. Timings are reported, never asserted.
//   mix     N stereo loops of 44100*0.5*(2+(i%7)) frames, input passthrough, int16 interleaved out,
//           through Engine.process and encodeOutput (the live host's render path): median
//           microseconds per block
//   kernels the same block's kernel calls without the engine (see kernelsCase)
//   render  offline render of 8 playing loops: times faster than real time
//   faders  a 10 s loop reversed (and half speed) while its volume, pan and mute move on every block:
//           the worst single block and the p99 over the blocks that fill the new layer (the goal: no
//           block over 1 ms, since a mixer command leaves the fill at a chunk per block)
//   heap    100,000 blocks with 16 playing loops after warm-up: heap growth, what a full GC leaves of
//           it, and the GC runs perf_hooks saw meanwhile (0 when process() allocates nothing)
//   live    (only with --case=live) the live host and SooperLooper side by side on one dummy JACK
//           server: CPU of each, ratio, pace, xruns (bench/live.ts, whose options pass through)
//   link    (only with --case=link) Ableton Link against the Link library: phase error, two loopers,
//           tempo changes, CPU of the sync (bench/link.ts, whose options pass through)
//   fuzz-render, fuzz-osc  only when named with --case (bench/fuzz.ts; --seconds=N, --seed=N)
//
// Each mix and render case runs in a child process of its own, as the engine runs in the live host
// (one engine per process): a second engine in a process makes V8's calls into the Wasm kernels
// megamorphic (each engine has its own instance), which costs about 8 ns a call. `--shared` runs
// every case in this process instead, to see that cost. The heap case makes that second engine on
// purpose: it is the worst case for allocation. Options: --json,
// --case=mix|kernels|render|faders|heap|live|link|fuzz-render|fuzz-osc,
// --shared. LOOPSTATION_DSP=js|wasm picks the kernels (lib/dsp/index.ts), as everywhere.

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

const WARMUP_MS = 1000;

const json = process.argv.includes('--json');
const only = process.argv.find((a) => a.startsWith('--case='))?.slice(7);
const shared = process.argv.includes('--shared');
/** set in a child process: the one case to run, e.g. "mix:10:441" */
const single = process.argv.find((a) => a.startsWith('--run='))?.slice(6);

function emit(row: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(row)}\n` : `${text}\n`);
}


/** An engine with `tracks` playing loops, gains 1/(N+1) like the peers, no metronome, no fades. */
function loopedEngine(tracks: number, blockFrames: number, sampleRate = 44100): Engine {
  const options: EngineOptions = {
    ...DEFAULT_OPTIONS,
    sampleRate,
    maxBlockFrames: blockFrames,
    tracks,
    quantize: 'off',
    crossfadeFrames: 0,
    monitor: true,
    monitorVolume: 1 / (tracks + 1),
    metronome: { ...DEFAULT_OPTIONS.metronome, enabled: false },
    memoryMiB: 32 + tracks * 4,
  };
  const engine = new Engine(options);
  const r = seeded(tracks);
  for (let i = 0; i < tracks; i++) {
    const frames = Math.floor(44100 * 0.5 * (2 + (i % 7)));
    const loop = new Float32Array(frames * 2);
    for (let k = 0; k < loop.length; k++) loop[k] = r() * 2 - 1;
    if (!engine.loadLoop(i + 1, loop, 0)) throw new Error('bench loops do not fit in memory');
    engine.command(Cmd.Volume, i + 1, 0, 1 / (tracks + 1));
  }
  const input = engine.inputView();
  for (let k = 0; k < blockFrames * 2; k++) input[k] = r() * 2 - 1;
  return engine;
}

/** Median microseconds of `block()` over `calls` calls, after a warm-up. */
function medianUs(block: () => void, calls: number): number {
  // warm up for 2000 blocks and at least WARMUP_MS, so V8 has tiered both the JS and the Wasm up
  // (its optimizing compilers run on a background thread, which a loaded machine delays)
  const warmEnd = Date.now() + WARMUP_MS;
  for (let c = 0; c < 2000 || Date.now() < warmEnd; c++) block();
  const times = new Float64Array(calls);
  // performance.now(): a double in ms at ns resolution, half the cost of hrtime.bigint() and no BigInt
  for (let c = 0; c < calls; c++) {
    const t0 = performance.now();
    block();
    times[c] = (performance.now() - t0) * 1000;
  }
  times.sort();
  return Number(times[calls >> 1].toFixed(3));
}

function mixCase(tracks: number, frames: number, calls: number): void {
  const engine = loopedEngine(tracks, frames);
  const us = medianUs(() => {
    engine.process(frames);
    engine.encodeOutput(frames);
  }, calls);
  emit({ case: 'mix', tracks, frames, dsp: engine.dspBackend, median_us: us }, `mix ${tracks} tracks x ${frames} frames (${engine.dspBackend}): ${us} us/block`);
}

/**
 * The kernel calls the mix case's engine makes in a block (monitorIn, mixLoop per track, masterOut,
 * toInt16), issued directly on an arena of the same layout: the DSP's share of a mix block; the rest
 * is the engine's bookkeeping.
 */
function kernelsCase(tracks: number, frames: number, calls: number): void {
  const lens = Array.from({ length: tracks }, (_, i) => Math.floor(44100 * 0.5 * (2 + (i % 7))));
  const arena = new Arena(frames * 6 + KERNEL_ARGS_FLOATS + 4 + lens.reduce((sum, len) => sum + len * 2, 0));
  const k = bindKernels(arena.memory, arena.wasmMemory);
  const m = arena.memory;
  const input = arena.alloc(frames * 2);
  const mix = arena.alloc(frames * 2);
  const meters = arena.alloc(4);
  const pcm = arena.alloc(frames);
  const loops = lens.map((len) => arena.alloc(len * 2));
  const r = seeded(tracks);
  for (const [i, at] of loops.entries()) for (let x = 0; x < lens[i] * 2; x++) m[at + x] = r() * 2 - 1;
  for (let x = 0; x < frames * 2; x++) m[input + x] = r() * 2 - 1;
  const g = Math.fround(1 / (tracks + 1));
  let t = 0;
  const us = medianUs(() => {
    m.fill(0, meters, meters + 4);
    k.args[0] = g;
    k.monitorIn(mix, input, frames, meters);
    for (let i = 0; i < tracks; i++) {
      k.args[0] = g;
      k.args[1] = g;
      k.mixLoop(mix, frames, loops[i], lens[i], t % lens[i]);
    }
    k.args[0] = 1;
    k.masterOut(mix, frames, false, meters + 2);
    k.toInt16(mix, frames, pcm);
    t += frames;
  }, calls);
  emit({ case: 'kernels', tracks, frames, dsp: k.backend, median_us: us }, `kernels of a mix block, ${tracks} tracks x ${frames} frames (${k.backend}): ${us} us/block`);
}

function renderCase(): void {
  const sampleRate = 48000;
  const block = 256;
  const engine = loopedEngine(8, block, sampleRate);
  const seconds = 120;
  const blocks = Math.ceil((seconds * sampleRate) / block);
  const out = new Float32Array(block * 2);
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < blocks; b++) {
    engine.process(block);
    out.set(engine.outputView());
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const x = seconds / wall;
  emit({ case: 'render', tracks: 8, seconds, times_realtime: Math.round(x) }, `render 8 loops: ${Math.round(x)}x real time`);
}

/**
 * Each trial: a transform on the block's first frame, then a volume, pan or mute change in each of the
 * next FADER_BLOCKS blocks (longer than the fill takes). Per-block times of the first trials are left
 * out: V8 compiles the fill on first use and the arena's pages are touched for the first time.
 */
function fadersCase(): void {
  const sampleRate = 48000;
  const block = 256;
  const trials = 40;
  const warmTrials = 4;
  const FADER_BLOCKS = 80;
  const engine = new Engine({
    ...DEFAULT_OPTIONS, sampleRate, maxBlockFrames: block, tracks: 2, quantize: 'off',
    metronome: { ...DEFAULT_OPTIONS.metronome, enabled: false }, memoryMiB: 96,
  });
  const r = seeded(10);
  const loop = new Float32Array(sampleRate * 10 * 2);
  for (let k = 0; k < loop.length; k++) loop[k] = r() * 2 - 1;
  if (!engine.loadLoop(1, loop, 0)) throw new Error('the bench loop does not fit in memory');
  const times = new Float64Array((trials - warmTrials) * (FADER_BLOCKS + 1));
  let n = 0;
  let worst = 0;
  let worstTransform = '';
  for (let trial = 0; trial < trials; trial++) {
    const transform = trial % 4 === 3 ? Cmd.Half : Cmd.Reverse;
    // half speed doubles the loop: undo it afterwards, so the loop stays 10 s
    engine.command(transform, 1, engine.frame);
    for (let b = 0; b <= FADER_BLOCKS; b++) {
      if (b > 0) {
        const kind = b % 3;
        if (kind === 0) engine.command(Cmd.Volume, 1, engine.frame + (b % block), 0.5 + (b % 7) / 10);
        else if (kind === 1) engine.command(Cmd.Pan, 1, engine.frame + (b % block), ((b % 5) - 2) / 2);
        else engine.command(b % 2 === 0 ? Cmd.Mute : Cmd.Unmute, 1, engine.frame + (b % block));
      }
      const t0 = performance.now();
      engine.process(block);
      const us = (performance.now() - t0) * 1000;
      if (trial >= warmTrials) {
        if (us > worst) {
          worst = us;
          worstTransform = transform === Cmd.Half ? 'half' : 'reverse';
        }
        times[n++] = us;
      }
    }
    if (transform === Cmd.Half) engine.command(Cmd.Undo, 1, engine.frame);
    engine.process(block);
  }
  const sorted = times.slice(0, n).sort();
  const p99 = sorted[Math.floor(n * 0.99)];
  const over = sorted.filter((us) => us > 1000).length;
  emit(
    { case: 'faders', loop_seconds: 10, frames: block, blocks: n, worst_us: Number(worst.toFixed(1)), p99_us: Number(p99.toFixed(1)), blocks_over_1ms: over, worst_after: worstTransform },
    `faders on a 10 s loop while it is transformed, ${n} blocks of ${block}: worst ${worst.toFixed(0)} us (after ${worstTransform}), ` +
      `p99 ${p99.toFixed(0)} us, ${over} blocks over 1 ms`,
  );
}

/** Yields to the event loop, where perf_hooks delivers the 'gc' entries of what ran before. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function heapCase(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the heap case needs node --expose-gc (npm run bench adds it)');
  const blocks = 100000;
  // another engine first (and used), so the measured one calls the kernels megamorphically
  const other = loopedEngine(2, 256, 48000);
  for (let b = 0; b < 1000; b++) other.process(256);
  const engine = loopedEngine(16, 256, 48000);
  const step = (n: number) => {
    for (let b = 0; b < n; b++) {
      engine.process(256);
      engine.encodeOutput(256);
    }
  };
  step(5000);
  gc();
  await turn();
  /** GC runs by kind */
  const gcs: Record<string, number> = {};
  let gcRuns = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      gcs[kind] = (gcs[kind] ?? 0) + 1;
      gcRuns++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const before = process.memoryUsage().heapUsed;
  step(blocks);
  const after = process.memoryUsage().heapUsed;
  await turn();
  await turn();
  observer.disconnect();
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  emit(
    {
      case: 'heap', tracks: 16, blocks, dsp: engine.dspBackend, heap_growth_bytes: after - before,
      heap_retained_bytes: retained, gc_runs: gcRuns, gc_kinds: gcs,
    },
    `heap over ${blocks} blocks of 16 loops (${engine.dspBackend}): ${after - before} bytes grown, ` +
      `${retained} retained after a full GC, ${gcRuns} GC runs${gcRuns ? ` ${JSON.stringify(gcs)}` : ''}`,
  );
}

/** Runs one case, here or (unless --shared) in a child process of its own. */
function run(spec: string): void {
  if (shared) {
    runHere(spec);
    return;
  }
  const args = ['--expose-gc', __filename, `--run=${spec}`, ...(json ? ['--json'] : [])];
  execFileSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

function runHere(spec: string): void {
  const [name, a, b] = spec.split(':');
  if (name === 'mix') mixCase(Number(a), Number(b), 3000);
  else if (name === 'kernels') kernelsCase(Number(a), Number(b), 3000);
  else if (name === 'render') renderCase();
  else if (name === 'faders') fadersCase();
  else throw new Error(`unknown bench case ${spec}`);
}

const wanted = (name: string) => only === undefined || only === name;
if (single !== undefined) runHere(single);
else if (only === 'fuzz-render' || only === 'fuzz-osc') {
  // fuzzing runs only when asked for (bench/fuzz.ts): it spends --seconds, 30 by default
  const extra = process.argv.filter((a) => a.startsWith('--seconds=') || a.startsWith('--seed='));
  execFileSync(process.execPath, [require.resolve('./fuzz'), only.slice(5), ...extra, ...(json ? ['--json'] : [])], { stdio: ['ignore', 'inherit', 'inherit'] });
} else {
  for (const name of ['mix', 'kernels']) {
    if (!wanted(name)) continue;
    for (const tracks of [1, 4, 10, 16, 64]) for (const frames of [128, 441, 1000]) run(`${name}:${tracks}:${frames}`);
  }
  if (wanted('render')) run('render');
  if (wanted('faders')) run('faders');
  if (wanted('heap')) void heapCase();
  if (only === 'live') scriptCase('./live');
  if (only === 'link') scriptCase('./link');
}

/**
 * Benches in a script of their own, which run for minutes, only when asked, with the script's options:
 * --case=live, the live host against SooperLooper on one dummy JACK server (bench/live.ts, needs jackd2
 * and sooperlooper); --case=link, Ableton Link against the Link library (bench/link.ts, needs root and
 * ableton-link-dev).
 */
function scriptCase(script: './live' | './link'): void {
  const rest = process.argv.slice(2).filter((a) => !a.startsWith('--case=') && a !== '--json');
  execFileSync(process.execPath, [require.resolve(script), ...rest, ...(json ? ['--json'] : [])], { stdio: ['ignore', 'inherit', 'inherit'] });
}
