import { performance } from 'perf_hooks';
import { HostStatus } from '../lib/io/client';
import { Engine } from '../lib/engine/engine';
import { Cmd, DEFAULT_OPTIONS, EventType } from '../lib/engine/types';
import { MidiClockFollower, lockedBpm } from '../lib/midi/clock-in';
import { MidiClockOut } from '../lib/midi/clock-out';
import { ClockSender } from '../lib/midi/clock-sender';
import { MIDI } from '../lib/midi/messages';
import { OscServer } from '../lib/osc/server';
import { TestOscClient } from '../test/osc/client';
import { rng } from '../test/engine/harness';

// `node dist/bench/osc-midi.js [--json] [--case=clock-out|clock-in|osc|transform]`: playing with others,
// one JSON line per case (timings reported, never asserted; results in bench/RESULTS-osc-midi.md).
//   clock-out  MIDI clock ticks against the ideal grid, in frames: the generator's rounding, and the
//              times ClockSender really sends at (timers, this thread), idle and with the event loop
//              busy 3 ms out of every 10
//   clock-in   the follower on synthesized ticks: tempo error after a jump 120 -> 140 bpm with +-1 ms
//              jitter, steady-state error with +-1 and +-2 ms, and beats to phase-lock a late engine
//   osc        round trip of /sl/0/get state and /ping over UDP on 127.0.0.1 (the server answers
//              from its mirror: no engine round trip)
//   transform  reverse / half / double of a 10 s stereo loop: the block the command lands in, and the
//              blocks that fill the rest of the new layer, against a plain block

const json = process.argv.includes('--json');
const only = process.argv.find((a) => a.startsWith('--case='))?.slice(7);
const RATE = 48000;

function emit(row: Record<string, unknown>): void {
  if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else process.stdout.write(`${Object.entries(row).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(3) : v}`).join(' ')}\n`);
}

function stats(xs: number[]): { median: number; p99: number; max: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p99: at(0.99), max: s[s.length - 1], mean: xs.reduce((a, b) => a + b, 0) / xs.length };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- clock out

function clockOutGrid(): void {
  for (const bpm of [120, 97.3, 173]) {
    const c = new MidiClockOut(RATE, bpm);
    c.start(0);
    const period = (60 * RATE) / (bpm * 24);
    const errors: number[] = [];
    let k = 0;
    c.render(RATE * 600, (m) => {
      if (m.bytes[0] === MIDI.Clock) errors.push(Math.abs(m.frame - k++ * period));
    });
    const s = stats(errors);
    emit({ case: 'clock-out', source: 'generator', bpm, ticks: errors.length, max_err_frames: s.max, mean_err_frames: s.mean });
  }
}

/**
 * ClockSender in real time: a fake engine whose beat k sounds at t0 + k beats (wall clock), reported
 * like the host reports beats; each sent tick's time is turned into a frame on that same clock and
 * compared with the tick's ideal frame.
 */
async function clockOutLive(load: boolean): Promise<void> {
  const bpm = 120;
  const beatMs = 60000 / bpm;
  const seconds = 10;
  const t0 = performance.now() + 50;
  const sentAt: { frame: number; at: number }[] = [];
  const sender = new ClockSender(new MidiClockOut(RATE, bpm), (bytes, frame) => {
    if (bytes[0] === MIDI.Clock) sentAt.push({ frame, at: performance.now() });
  });
  let beat = 0;
  const beatTimer = setInterval(() => {
    // beat events arrive when the beat sounds (the host's rule); this loop polls for that moment
    while (performance.now() >= t0 + beat * beatMs) {
      sender.beat(Math.round((beat * 60 * RATE) / bpm), beat, bpm);
      if (beat === 0) sender.start();
      beat++;
    }
  }, 1);
  const busy = load
    ? setInterval(() => {
        const until = performance.now() + 3;
        while (performance.now() < until);
      }, 10)
    : undefined;
  await sleep(seconds * 1000 + 100);
  clearInterval(beatTimer);
  clearInterval(busy);
  sender.close();
  // the sender's first tick is at beat 1 (start waits for the next beat after beat 0's event)
  const errors = sentAt.map(({ frame, at }) => ((at - t0) * RATE) / 1000 - frame);
  const late = stats(errors.map((e) => Math.abs(e)));
  emit({
    case: 'clock-out', source: 'sender', load: load ? 'busy 3 ms / 10 ms' : 'idle', bpm, ticks: sentAt.length,
    median_err_frames: late.median, p99_err_frames: late.p99, max_err_frames: late.max, max_err_ms: (late.max * 1000) / RATE,
  });
}

// ---------------------------------------------------------------- clock in

function ticks(count: number, bpm: number, t0: number, jitter: number, r: () => number): number[] {
  const period = 60000 / (bpm * 24);
  return Array.from({ length: count }, (_, i) => t0 + i * period + (r() * 2 - 1) * jitter);
}

function clockIn(): void {
  const runs = 200;
  for (const jitter of [1, 2]) {
    const err1: number[] = [];
    const err2: number[] = [];
    const err4: number[] = [];
    const settle: number[] = [];
    const steady: number[] = [];
    for (let run = 0; run < runs; run++) {
      const r = rng(1000 + run);
      const f = new MidiClockFollower();
      const first = ticks(24 * 16, 120, 0, jitter, r);
      for (const t of first) f.clock(t);
      steady.push(Math.abs((f.bpm as number) - 120));
      const second = ticks(24 * 8, 140, first[first.length - 1] + 60000 / (140 * 24), jitter, r);
      let settled = -1;
      second.forEach((t, i) => {
        f.clock(t);
        const e = Math.abs((f.bpm ?? 120) - 140);
        if (i === 23) err1.push(e);
        if (i === 47) err2.push(e);
        if (i === 95) err4.push(e);
        if (settled < 0 && e < 0.25 && i >= 6) settled = i + 1;
        if (settled >= 0 && e >= 0.25) settled = -1;
      });
      settle.push(settled < 0 ? Infinity : settled);
    }
    emit({
      case: 'clock-in', jitter_ms: jitter, runs, steady_err_bpm_p99: stats(steady).p99,
      jump_err_bpm_after_1_beat_median: stats(err1).median, jump_err_bpm_after_1_beat_p99: stats(err1).p99,
      jump_err_bpm_after_2_beats_p99: stats(err2).p99, jump_err_bpm_after_4_beats_p99: stats(err4).p99,
      ticks_to_stay_within_0_25_bpm_median: stats(settle).median, ticks_to_stay_within_0_25_bpm_p99: stats(settle).p99,
    });
  }
  // phase lock: an engine starting 120 ms late at 119.5 bpm, tempo applied from its next beat
  const beatsToLock: number[] = [];
  for (let run = 0; run < runs; run++) {
    const r = rng(5000 + run);
    const f = new MidiClockFollower();
    f.start();
    const ext = ticks(24 * 60, 120, 0, 1, r);
    let ourBpm = 119.5;
    let at = 120;
    let next = 0;
    let locked = -1;
    for (let beat = 0; beat < 56; beat++) {
      while (next < ext.length && ext[next] <= at) f.clock(ext[next++]);
      const err = f.phaseErrorMs(at);
      if (err !== undefined && f.bpm !== undefined) {
        ourBpm = lockedBpm(f.bpm, err);
        if (Math.abs(err) < 1 && locked < 0) locked = beat;
        if (Math.abs(err) >= 1) locked = -1;
      }
      at += 60000 / ourBpm;
    }
    beatsToLock.push(locked < 0 ? Infinity : locked);
  }
  const s = stats(beatsToLock);
  emit({ case: 'clock-in', what: 'phase lock within 1 ms, from 120 ms late', jitter_ms: 1, runs, beats_median: s.median, beats_p99: s.p99 });
}

// ---------------------------------------------------------------- osc

async function osc(): Promise<void> {
  const status: HostStatus = {
    frame: 0, bpm: 120, beatsPerBar: 4, metronome: true, xruns: 0,
    tracks: Array.from({ length: 8 }, (_, i) => ({ track: i + 1, state: 'playing', frames: 96000, seconds: 2, bars: 1, layers: 1, volume: 1, pan: 0, muted: false, soloed: false })),
  };
  const server = new OscServer({ link: { send: () => undefined, status: () => Promise.resolve(status), session: () => Promise.resolve() }, tracks: 8, sampleRate: RATE, bpm: 120, beatsPerBar: 4, port: 0 });
  const { port } = await server.start();
  const client = await new TestOscClient().open();
  try {
    for (const [address, types, args] of [
      ['/sl/0/get', 'sss', ['state', client.url, '/r']],
      ['/ping', 'ss', [client.url, '/r']],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const t = performance.now();
        await client.ask(port, address, types, [...args]);
        if (i >= 500) times.push((performance.now() - t) * 1000);
      }
      client.received.length = 0;
      const s = stats(times);
      emit({ case: 'osc', message: address, round_trips: times.length, median_us: s.median, p99_us: s.p99, max_us: s.max });
    }
  } finally {
    await client.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------- transforms

function transform(): void {
  const frames = RATE * 10;
  for (const name of ['reverse', 'half', 'double'] as const) {
    const engine = new Engine({ ...DEFAULT_OPTIONS, sampleRate: RATE, maxBlockFrames: 256, tracks: 2, quantize: 'off', memoryMiB: 64, metronome: { ...DEFAULT_OPTIONS.metronome, enabled: false } });
    const loop = new Float32Array(frames * 2);
    const r = rng(3);
    for (let i = 0; i < loop.length; i++) loop[i] = r() - 0.5;
    engine.loadLoop(1, loop, 0);
    const cmd = name === 'reverse' ? Cmd.Reverse : name === 'half' ? Cmd.Half : Cmd.Double;
    const plain: number[] = [];
    const first: number[] = [];
    const filling: number[] = [];
    let fillBlocks = 0;
    for (let rep = 0; rep < 30; rep++) {
      for (let b = 0; b < 20; b++) {
        const t = performance.now();
        engine.process(256);
        plain.push((performance.now() - t) * 1000);
      }
      engine.command(cmd, 1, engine.frame);
      let t = performance.now();
      engine.process(256);
      first.push((performance.now() - t) * 1000);
      // the blocks that fill the rest, until the layer is an undo step
      let done = false;
      engine.events.drain(() => undefined);
      for (fillBlocks = 1; !done; fillBlocks++) {
        t = performance.now();
        engine.process(256);
        filling.push((performance.now() - t) * 1000);
        engine.events.drain((e) => {
          if (e.type === EventType.Layers) done = true;
        });
      }
      engine.command(Cmd.Undo, 1, engine.frame);
      engine.process(256);
      engine.events.drain(() => undefined);
    }
    emit({
      case: 'transform', transform: name, loop_seconds: 10, block: 256, block_budget_us: (256 / RATE) * 1e6,
      plain_block_median_us: stats(plain).median, command_block_median_us: stats(first).median, command_block_p99_us: stats(first).p99,
      fill_block_median_us: stats(filling).median, fill_block_p99_us: stats(filling).p99, fill_blocks: fillBlocks,
    });
  }
}

async function main(): Promise<void> {
  if (!only || only === 'clock-out') {
    clockOutGrid();
    await clockOutLive(false);
    await clockOutLive(true);
  }
  if (!only || only === 'clock-in') clockIn();
  if (!only || only === 'osc') await osc();
  if (!only || only === 'transform') transform();
}

void main();
