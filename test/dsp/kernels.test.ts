import { strict as assert } from 'assert';
import { bindKernels, DspBackend, Kernels, KERNEL_ARGS_FLOATS } from '../../lib/dsp';
import { Arena } from '../../lib/engine/arena';
import { Engine } from '../../lib/engine/engine';
import { DEFAULT_OPTIONS } from '../../lib/engine/types';
import { noise, plain, rng, run, Step } from '../engine/harness';

// Every kernel both ways, WebAssembly SIMD and JS, on the same memory contents and arguments, compared
// bit by bit over the whole arena but its kernel argument block (so a write outside the kernel's range
// shows up too). The Wasm side is forced: where it cannot run, these tests fail rather than compare JS
// with itself.

const FLOATS = 1 << 16;
// Regions (float offsets) far enough apart that no kernel call below reaches the next one.
const BUS = KERNEL_ARGS_FLOATS;
const SRC = 8192;
const LOOP = 16384;
const TABLE = 32768;
const METER = 40960;

/** Two arenas with identical contents, one bound to each backend. */
class Twin {
  readonly js = new Arena(FLOATS);
  readonly wasm = new Arena(FLOATS);
  readonly kjs = bindKernels(this.js.memory, this.js.wasmMemory, 'js');
  readonly kwasm = bindKernels(this.wasm.memory, this.wasm.wasmMemory, 'wasm');
  private readonly init = new Float32Array(FLOATS);

  /** Fills both arenas with the same seeded values in [-amp, amp), then applies `edit` to both. */
  reset(seed: number, amp = 1.5, edit?: (m: Float32Array) => void): void {
    const r = rng(seed);
    for (let i = 0; i < FLOATS; i++) this.init[i] = (r() * 2 - 1) * amp;
    edit?.(this.init);
    this.js.memory.set(this.init);
    this.wasm.memory.set(this.init);
  }

  /** Runs `call` on both backends and asserts the two arenas hold the same bits everywhere. */
  same(label: string, call: (k: Kernels) => void): void {
    call(this.kjs);
    call(this.kwasm);
    const a = new Uint32Array(this.js.memory.buffer, 0, FLOATS);
    const b = new Uint32Array(this.wasm.memory.buffer, 0, FLOATS);
    for (let i = KERNEL_ARGS_FLOATS; i < FLOATS; i++) {
      if (a[i] !== b[i]) {
        assert.fail(`${label}: float ${i} differs: js ${this.js.memory[i]} (0x${a[i].toString(16)}), wasm ${this.wasm.memory[i]} (0x${b[i].toString(16)})`);
      }
    }
  }
}

/** Stores a kernel's float arguments in its argument block (Kernels.args). */
function args(k: Kernels, ...values: number[]): void {
  k.args.set(values);
}

/** (frames, len, pos) for the wrap-around kernels: the edge cases, then seeded random ones. */
function wrapCases(seed: number): Array<[number, number, number, string]> {
  const cases: Array<[number, number, number, string]> = [
    [128, 1000, 0, 'no wrap'],
    [441, 1000, 559, 'wraps exactly at the block end'],
    [441, 1000, 560, 'wraps one frame before the block end'],
    [441, 1000, 999, 'wraps after one frame'],
    [441, 100, 37, 'loop shorter than the block'],
    [1000, 7, 6, 'loop of 7 frames wrapping 143 times'],
    [441, 1, 0, 'loop length 1'],
    [1, 1000, 500, 'one frame'],
    [1, 1, 0, 'one frame of a one-frame loop'],
    [2, 3, 2, 'two frames across a wrap'],
    [3, 2, 1, 'odd frames, even loop'],
    [256, 256, 0, 'exactly one whole loop'],
  ];
  const r = rng(seed);
  for (let i = 0; i < 60; i++) {
    const len = 1 + Math.floor(r() * 1500);
    cases.push([1 + Math.floor(r() * 1024), len, Math.floor(r() * len), `random ${i}`]);
  }
  return cases;
}

describe('dsp/kernels: WebAssembly SIMD and JS give the same bits', () => {
  const t = new Twin();
  // gains as the engine passes them (float32) and as a caller might (doubles: the argument block rounds them)
  const gains: Array<[number, number]> = [[1, 1], [0, 0], [Math.fround(1 / 11), Math.fround(0.7071)], [0.1, -0.3], [2, 0.5]];

  it('mixLoop: wrap-around at every edge, gain per channel, unaligned offsets', () => {
    wrapCases(1).forEach(([frames, len, pos, what], i) => {
      const [gl, gr] = gains[i % gains.length];
      t.reset(100 + i);
      t.same(`mixLoop ${what} (${frames} frames, len ${len}, pos ${pos})`, (k) =>
        (args(k, gl, gr), k.mixLoop(BUS + (i & 3), frames, LOOP + (i >> 2 & 3), len, pos)));
    });
  });

  it('mixLoopRamp: ramps crossing the wrap, crossing zero gain, resumed at k0', () => {
    const ramps: Array<[number, number, number, number, number]> = [
      // startL, startR, stepL, stepR, k0
      [0, 0, 1 / 128, 1 / 128, 0],
      [1, 0.5, -1 / 128, -0.5 / 128, 64],
      [0.5, -0.5, -0.01, 0.01, 0], // both channels cross zero after 50 frames
      [0.3, 0.7, 0.1 / 441, -0.2 / 441, 127],
    ];
    wrapCases(2).forEach(([frames, len, pos, what], i) => {
      const [sl, sr, dl, dr, k0] = ramps[i % ramps.length];
      t.reset(200 + i);
      t.same(`mixLoopRamp ${what} (${frames} frames, len ${len}, pos ${pos}, k0 ${k0})`, (k) =>
        (args(k, sl, sr, dl, dr), k.mixLoopRamp(BUS + (i & 3), frames, LOOP + 1, len, pos, k0)));
    });
  });

  it('overdub: feedback, steady and ramped weight, wrap-around', () => {
    const passes: Array<[number, number, number, number]> = [
      // feedback, w0, dw, k0
      [1, 1, 0, 0],
      [0.5, 1, 0, 0],
      [0, 0, 1 / 128, 0],
      [Math.fround(0.8), 1, -1 / 128, 32],
      [0.3, Math.fround(0.25), Math.fround(1 / 64), 7],
    ];
    wrapCases(3).forEach(([frames, len, pos, what], i) => {
      const [feedback, w0, dw, k0] = passes[i % passes.length];
      t.reset(300 + i);
      t.same(`overdub ${what} (${frames} frames, len ${len}, pos ${pos}, feedback ${feedback}, dw ${dw})`, (k) =>
        (args(k, feedback, w0, dw), k.overdub(LOOP + (i & 3), len, pos, SRC + 1, frames, k0)));
    });
  });

  const blockSizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 127, 128, 129, 441, 1000, 1024];

  it('addScaled and zero', () => {
    blockSizes.forEach((frames, i) => {
      t.reset(400 + i);
      t.same(`addScaled ${frames} frames`, (k) => (args(k, gains[i % gains.length][1]), k.addScaled(BUS + (i & 3), SRC + 3, frames)));
      t.same(`zero ${frames} frames`, (k) => k.zero(BUS + 1 + (i & 1), frames));
    });
  });

  it('crossfadeInto: any length, odd and even', () => {
    blockSizes.forEach((frames, i) => {
      t.reset(500 + i, 1, (m) => {
        for (let q = 0; q < frames; q++) m[TABLE + q] = 0.5 - 0.5 * Math.cos((Math.PI * (q + 1)) / (frames + 1));
      });
      t.same(`crossfadeInto ${frames} frames`, (k) => k.crossfadeInto(LOOP + (i & 3), SRC, TABLE, frames));
    });
  });

  /** Specials among the samples: signed zeros, full scale, the soft knee, beyond, infinities and NaN. */
  const specials = [0, -0, 1, -1, 0.8, -0.8, 0.8000001, 1.0000001, -1.0000001, 5, -5, Infinity, -Infinity, NaN, 1e-40, -1e-40];
  const sprinkle = (from: number, n: number) => (m: Float32Array) => {
    for (let i = 0; i < n; i += 3) m[from + i] = specials[(i / 3) % specials.length];
  };

  it('monitorIn: scaled copy, +0 for silence, peaks per channel (NaN shows)', () => {
    blockSizes.forEach((frames, i) => {
      for (const g of [1, 0, 0.25, 0.1]) {
        for (const start of [0, -0, 0.3, -0.6, 7]) {
          t.reset(600 + i, 1.5, (m) => {
            sprinkle(SRC, frames * 2)(m);
            m[METER] = start;
            m[METER + 1] = start / 2;
          });
          t.same(`monitorIn ${frames} frames, gain ${g}, meter from ${start}`, (k) => (args(k, g), k.monitorIn(BUS, SRC, frames, METER)));
        }
      }
    });
    // what the shared semantics are, checked on the JS side (the Wasm side equals it, above)
    t.reset(1, 1, (m) => {
      m.fill(-0.5, SRC, SRC + 8);
      m[SRC + 2] = -0.75;
      m[METER] = 0;
      m[METER + 1] = 0;
    });
    args(t.kjs, 0);
    t.kjs.monitorIn(BUS, SRC, 4, METER);
    assert.deepEqual([...new Uint32Array(t.js.memory.buffer, BUS * 4, 8)], [0, 0, 0, 0, 0, 0, 0, 0], 'silence is +0');
    args(t.kjs, 1);
    t.kjs.monitorIn(BUS, SRC, 4, METER);
    assert.deepEqual([t.js.memory[METER], t.js.memory[METER + 1]], [0.75, 0.5], 'peaks');
    t.js.memory[METER + 1] = -0.25;
    t.js.memory[SRC + 1] = NaN;
    t.kjs.monitorIn(BUS, SRC, 4, METER);
    assert.ok(Number.isNaN(t.js.memory[METER + 1]) && t.js.memory[METER] === 0.75, 'a NaN sample makes a NaN peak');
  });

  it('masterOut: clamp and soft limiter over specials, peaks', () => {
    blockSizes.forEach((frames, i) => {
      for (const soft of [false, true]) {
        for (const gain of [1, 2, 0.5, 0.1]) {
          t.reset(700 + i, 2, (m) => {
            sprinkle(BUS, frames * 2)(m);
            m[METER] = i & 1 ? 0 : 0.9;
            m[METER + 1] = 0;
          });
          t.same(`masterOut ${frames} frames, ${soft ? 'soft' : 'clamp'}, gain ${gain}`, (k) => (args(k, gain), k.masterOut(BUS, frames, soft, METER)));
        }
      }
    });
  });

  it('toInt16: scale, clamp (never wrap), truncate, NaN -> 0, into an int16 view of the arena', () => {
    blockSizes.forEach((frames, i) => {
      t.reset(800 + i, 1.2, sprinkle(SRC, frames * 2));
      t.same(`toInt16 ${frames} frames`, (k) => k.toInt16(SRC + (i & 3), frames, BUS + (i & 1)));
    });
    const x = [1, -1, 2, -2, NaN, Infinity, -Infinity, 0.5, -0.5, 1 / 32767, -0, 0.99999, -1.0000001, 32767 / 32768, 3e-5, -3e-5];
    const want = [32767, -32767, 32767, -32768, 0, 32767, -32768, 16383, -16383, 1, 0, 32766, -32767, 32766, 0, 0];
    for (const [name, arena, k] of [['js', t.js, t.kjs], ['wasm', t.wasm, t.kwasm]] as const) {
      arena.memory.set(x, SRC);
      k.toInt16(SRC, x.length / 2, BUS);
      assert.deepEqual([...new Int16Array(arena.memory.buffer, BUS * 4, x.length)], want, name);
    }
  });

  it('fromInt16: x / 32768 from an int16 view of the arena', () => {
    blockSizes.forEach((frames, i) => {
      t.reset(900 + i, 1, (m) => {
        const v = new Int16Array(m.buffer, SRC * 4, frames * 2);
        const r = rng(i);
        for (let j = 0; j < v.length; j++) v[j] = Math.floor(r() * 65536) - 32768;
        v[0] = -32768;
        v[v.length - 1] = 32767;
      });
      t.same(`fromInt16 ${frames} frames`, (k) => k.fromInt16(SRC, BUS + (i & 3), frames));
    });
  });
});

describe('dsp/kernels: the routing kernels, WebAssembly and JS', () => {
  const t = new Twin();
  const channelCounts = [1, 2, 3, 4, 8];
  const frameCounts = [1, 2, 7, 64, 441];

  it('extractPair: any pair or mono channel of 1..8 interleaved channels, bit copies', () => {
    channelCounts.forEach((channels, i) => {
      frameCounts.forEach((frames, j) => {
        const left = (i + j) % channels;
        const right = j & 1 ? left : Math.min(channels - 1, left + 1);
        t.reset(1000 + i * 10 + j);
        t.same(`extractPair ${frames} frames of ${channels} channels, ${left}/${right}`, (k) => k.extractPair(BUS + (j & 1), SRC + i, frames, channels, left, right));
      });
    });
    // what it does, on the JS side: frame f of channel c is 10f + c
    t.reset(1);
    for (let q = 0; q < 3 * 4; q++) t.js.memory[SRC + q] = 10 * Math.floor(q / 4) + (q % 4);
    t.kjs.extractPair(BUS, SRC, 3, 4, 2, 3);
    assert.deepEqual([...t.js.memory.subarray(BUS, BUS + 6)], [2, 3, 12, 13, 22, 23]);
    t.kjs.extractPair(BUS, SRC, 3, 4, 1, 1);
    assert.deepEqual([...t.js.memory.subarray(BUS, BUS + 6)], [1, 1, 11, 11, 21, 21]);
  });

  it('insertPair: a stereo bus onto any two adjacent channels, the others untouched', () => {
    channelCounts.filter((c) => c >= 2).forEach((channels, i) => {
      frameCounts.forEach((frames, j) => {
        const first = (i + j) % (channels - 1);
        t.reset(1100 + i * 10 + j);
        t.same(`insertPair ${frames} frames into ${channels} channels at ${first}`, (k) => k.insertPair(BUS + (j & 1), SRC + i, frames, channels, first));
      });
    });
    t.reset(2);
    t.js.memory.fill(9, BUS, BUS + 8);
    t.js.memory.set([1, 2, 3, 4], SRC);
    t.kjs.insertPair(BUS, SRC, 2, 4, 2);
    assert.deepEqual([...t.js.memory.subarray(BUS, BUS + 8)], [9, 9, 1, 2, 9, 9, 3, 4]);
  });

  it('channelPeaks: the peak of each channel, max with what is there', () => {
    channelCounts.forEach((channels, i) => {
      frameCounts.forEach((frames, j) => {
        t.reset(1200 + i * 10 + j, 1.5, (m) => {
          for (let c = 0; c < channels; c++) m[METER + c] = (c & 1) * 0.5;
          if (j === 2) m[SRC + channels] = NaN;
        });
        t.same(`channelPeaks ${frames} frames of ${channels} channels`, (k) => k.channelPeaks(SRC, frames, channels, METER));
      });
    });
    t.reset(3);
    t.js.memory.set([0.1, -0.9, 0.3, -0.2, 0.05, 0.4], SRC);
    t.js.memory.fill(0, METER, METER + 3);
    t.kjs.channelPeaks(SRC, 2, 3, METER);
    assert.deepEqual([...t.js.memory.subarray(METER, METER + 3)], [0.2, 0.9, 0.4].map(Math.fround));
  });

  it('loopLevels: peak and sum of squares per channel across the wrap, in order', () => {
    wrapCases(11).forEach(([frames, len, pos, what], i) => {
      t.reset(1300 + i, 1.5, (m) => {
        m[METER] = i & 1 ? 0.2 : 0;
        m[METER + 1] = 0;
        m[METER + 2] = i & 2 ? 3.5 : 0;
        m[METER + 3] = 0;
      });
      t.same(`loopLevels ${what} (${frames} frames, len ${len}, pos ${pos})`, (k) => k.loopLevels(LOOP + (i & 3), len, pos, frames, METER));
    });
    t.reset(4);
    t.js.memory.set([0.5, -0.25, -0.75, 0.5], LOOP);
    t.js.memory.fill(0, METER, METER + 4);
    t.kjs.loopLevels(LOOP, 2, 1, 3, METER); // frames at positions 1, 0, 1
    assert.deepEqual([...t.js.memory.subarray(METER, METER + 4)], [0.75, 0.5, 0.5625 * 2 + 0.25, 0.25 * 2 + 0.0625]);
  });
});

describe('dsp/index: backend choice', () => {
  const env = process.env.LOOPSTATION_DSP;
  afterEach(() => {
    if (env === undefined) delete process.env.LOOPSTATION_DSP;
    else process.env.LOOPSTATION_DSP = env;
  });

  it('LOOPSTATION_DSP forces js or wasm, the engine reports which runs, and a bad value is refused', () => {
    for (const backend of ['js', 'wasm'] as const) {
      process.env.LOOPSTATION_DSP = backend;
      assert.equal(new Engine({ ...DEFAULT_OPTIONS, memoryMiB: 4 }).dspBackend, backend);
    }
    process.env.LOOPSTATION_DSP = 'simd';
    assert.throws(() => new Engine({ ...DEFAULT_OPTIONS, memoryMiB: 4 }), /LOOPSTATION_DSP must be js, wasm or auto, not "simd"/);
  });

  it('an arena outside WebAssembly memory falls back to js, and refuses a forced wasm', () => {
    const m = new Float32Array(1024);
    assert.equal(bindKernels(m, null, 'auto').backend, 'js');
    assert.throws(() => bindKernels(m, null, 'wasm'), /LOOPSTATION_DSP=wasm: the arena is not a WebAssembly.Memory/);
  });
});

describe('engine int16 device views', () => {
  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: decodeInput, process, encodeOutput through pcmInView/pcmOutView`, () => {
      const e = new Engine({ ...DEFAULT_OPTIONS, maxBlockFrames: 64, memoryMiB: 4, metronome: { ...DEFAULT_OPTIONS.metronome, enabled: false } }, backend);
      const r = rng(3);
      const pcm = e.pcmInView();
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.floor(r() * 65536) - 32768;
      pcm[0] = -32768;
      pcm[1] = 32767;
      e.decodeInput(63);
      e.process(63);
      e.encodeOutput(63);
      const out = e.pcmOutView();
      // monitor at unity: x / 32768 * 32767, truncated toward zero
      for (let i = 0; i < 126; i++) assert.equal(out[i], Math.trunc(Math.fround(Math.fround(pcm[i] / 32768) * 32767)), `sample ${i}`);
      assert.equal(out[0], -32767);
      assert.equal(out[1], 32766);
      assert.throws(() => e.encodeOutput(65), RangeError);
    });
  }
});

describe('engine renders: the same bits with LOOPSTATION_DSP=wasm and =js', () => {
  const env = process.env.LOOPSTATION_DSP;
  after(() => {
    if (env === undefined) delete process.env.LOOPSTATION_DSP;
    else process.env.LOOPSTATION_DSP = env;
  });

  function renderWith(backend: DspBackend, block: number, stems: boolean) {
    process.env.LOOPSTATION_DSP = backend;
    const rate = 44100;
    const frames = rate * 6;
    const options = plain({
      sampleRate: rate, tracks: 4, stems, monitor: true, monitorVolume: 0.7, crossfadeFrames: 64,
      inputLatencyFrames: 37, limiter: 'soft', masterVolume: 1.3, feedback: 0.8, quantize: 'beat', bpm: 137,
      maxBlockFrames: 1024, metronome: { enabled: true, volume: 0.4 },
    });
    const steps: Step[] = [
      { frame: 100, track: 1, command: 'record' },
      { frame: 40000, track: 1, command: 'overdub' },
      { frame: 60000, track: 2, command: 'record' },
      { frame: 70000, track: 1, command: 'play' },
      { frame: 80001, command: 'quantize', value: 'off' },
      { frame: 90000, track: 3, command: 'record' },
      { frame: 90100, track: 3, command: 'play' }, // a 100-frame loop, shorter than a block
      { frame: 100000, track: 2, command: 'play' },
      { frame: 101000, track: 1, command: 'pan', value: -0.6 },
      { frame: 110000, track: 2, command: 'volume', value: 0.3 },
      { frame: 120000, track: 4, command: 'record' },
      { frame: 120001, track: 4, command: 'play' }, // a one-frame loop
      { frame: 130000, track: 1, command: 'overdub' },
      { frame: 150000, track: 1, command: 'undo' },
      { frame: 160000, track: 1, command: 'redo' },
      { frame: 170000, track: 2, command: 'mute' },
      { frame: 175000, track: 2, command: 'unmute' },
      { frame: 180000, track: 3, command: 'solo' },
      { frame: 190000, track: 3, command: 'unsolo' },
      { frame: 200000, command: 'feedback', value: 0.5 },
      { frame: 200500, track: 2, command: 'overdub' },
      { frame: 220000, track: 2, command: 'play' },
      { frame: 230000, track: 2, command: 'clear' },
      { frame: 240000, command: 'masterVolume', value: 0.8 },
    ];
    const r = run(options, noise(frames, 7, 0.9), frames, steps, block);
    assert.equal(r.engine.dspBackend, backend);
    return r;
  }

  // without stems the tracks sum into the mix bus (the live path); with stems each has its own bus
  for (const [block, stems] of [[441, false], [128, true]] as const) {
    it(`a rich scenario in blocks of ${block}, ${stems ? 'with' : 'without'} stems: mix, stems, loops, meters`, () => {
      const w = renderWith('wasm', block, stems);
      const j = renderWith('js', block, stems);
      const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
      assert.ok(w.out.some((v) => Math.abs(v) > 0.8), 'the scenario reaches the soft limiter');
      assert.deepEqual(bits(w.out), bits(j.out), 'mix');
      w.stems.forEach((s, i) => assert.deepEqual(bits(s), bits(j.stems[i]), `stem ${i + 1}`));
      for (let tr = 1; tr <= 4; tr++) {
        const a = w.engine.loopData(tr);
        const b = j.engine.loopData(tr);
        assert.deepEqual(a && bits(a), b && bits(b), `loop ${tr}`);
      }
      assert.deepEqual(bits(w.engine.memory.subarray(w.engine.meters, w.engine.meters + 4)),
        bits(j.engine.memory.subarray(j.engine.meters, j.engine.meters + 4)), 'meters');
      assert.deepEqual(w.events, j.events, 'events');
    });
  }

  it('a routed scenario: 3 input channels, mono and pair sources, 3 buses, cue sends, the click and monitor elsewhere, track meters', () => {
    const go = (backend: DspBackend) => {
      process.env.LOOPSTATION_DSP = backend;
      const frames = 60000;
      const options = plain({
        tracks: 3, inputChannels: 3, outputBuses: 3, monitor: true, monitorVolume: 0.6, monitorBus: 3, monitorInput: 2,
        metronomeBus: 2, crossfadeFrames: 32, inputLatencyFrames: 19, trackMeters: true, limiter: 'soft', masterVolume: 1.4,
        metronome: { enabled: true, volume: 0.5 },
      });
      const steps: Step[] = [
        { frame: 0, track: 1, command: 'input', value: '3' },
        { frame: 0, track: 2, command: 'input', value: '1-2' },
        { frame: 0, track: 2, command: 'cueBus', value: 2 },
        { frame: 0, track: 2, command: 'cueSend', value: 0.7 },
        { frame: 100, track: 1, command: 'record' },
        { frame: 150, track: 2, command: 'record' },
        { frame: 9000, track: 1, command: 'play' },
        { frame: 12001, track: 2, command: 'play' },
        { frame: 15000, track: 1, command: 'pan', value: 0.4 },
        { frame: 20000, track: 1, command: 'overdub' },
        { frame: 21111, track: 1, command: 'input', value: 'all' },
        { frame: 30000, track: 1, command: 'play' },
        { frame: 33000, track: 3, command: 'input', value: '2-3' },
        { frame: 33000, track: 3, command: 'record' },
        { frame: 40000, track: 3, command: 'play' },
      ];
      const x = new Float32Array(frames * 3);
      const r = rng(3);
      for (let i = 0; i < x.length; i++) x[i] = (r() * 2 - 1) * 0.8;
      return run(options, x, frames, steps, 333);
    };
    const w = go('wasm');
    const j = go('js');
    const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
    assert.ok(w.out.some((v, i) => i % 6 === 2 && v !== 0), 'bus 2 sounds');
    assert.deepEqual(bits(w.out), bits(j.out), 'the three buses');
    for (let tr = 1; tr <= 3; tr++) assert.deepEqual(bits(w.engine.loopData(tr)!), bits(j.engine.loopData(tr)!), `loop ${tr}`);
    const e = w.engine;
    assert.deepEqual(bits(e.memory.subarray(e.trackMeters, e.trackMeters + 12)), bits(j.engine.memory.subarray(j.engine.trackMeters, j.engine.trackMeters + 12)), 'track meters');
    assert.deepEqual(bits(e.memory.subarray(e.inputMeters, e.inputMeters + 3)), bits(j.engine.memory.subarray(j.engine.inputMeters, j.engine.inputMeters + 3)), 'input meters');
  });
});
