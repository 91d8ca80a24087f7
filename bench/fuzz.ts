import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodePacket, encodeBundle, encodeMessage, OscError } from '../lib/osc/codec';
import { encodeWav } from '../lib/session/wav';
import { rng as seeded } from '../test/engine/harness';

// Fuzzing, as a bench: counts of outcomes, never assertions (`npm run bench -- --case=fuzz-render` or
// `--case=fuzz-osc`, or `node dist/bench/fuzz.js [render|osc] [--seconds=60] [--seed=N] [--json]`).
//   render  mutated scripts and WAVs through the real `loopstation render` in a child process, each run
//           bounded: killed after RUN_TIMEOUT_MS, its peak memory read by /usr/bin/time. Outcomes: ok
//           (exit 0), refused (exit 2 with one line, no stack trace: the error contract), and the
//           defects: crash (any other exit or a stack trace), timeout, over-memory (> RUN_MAX_RSS_MIB).
//   osc     mutated and random packets through the OSC decoder. Outcomes: decoded, refused (OscError),
//           and the defect: crash (any other exception); plus the slowest packet's decode time.

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'loopstation.js');
const RUN_TIMEOUT_MS = 10000;
const RUN_MAX_RSS_MIB = 512;
const RATE = 8000;

const args = process.argv.slice(2);
const json = args.includes('--json');
const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 30);
const seed = Number(args.find((a) => a.startsWith('--seed='))?.slice(7) ?? 1);
const which = args.find((a) => a === 'render' || a === 'osc');

function emit(row: Record<string, unknown>): void {
  process.stdout.write(json ? `${JSON.stringify(row)}\n` : `${Object.entries(row).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')}\n`);
}

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

// ---------------------------------------------------------------- render

const BASE_SCRIPT = {
  sampleRate: RATE, blockSize: 256, bpm: 120, beatsPerBar: 4, quantize: 'off', crossfadeFrames: 16, monitor: true,
  metronome: { enabled: true, volume: 0.5, sound: 'builtin' }, input: 'in.wav', durationSeconds: 2,
  events: [{ at: 0.1, track: 1, command: 'record' }, { frame: 8000, track: 1, command: 'play' }, { at: 1.5, track: 1, command: 'volume', value: 0.5 }],
  outputs: { mix: 'out.wav', stems: 'stems/', format: 'float32' },
};

/** Values that have broken parsers before: wrong types, edges, huge, paths to things that are not files. */
const ODD_VALUES: unknown[] = [
  null, true, -1, 0, 0.5, 1e308, -1e308, 2 ** 53, NaN, '', 'x', '../../etc/passwd', '/dev/zero', '/dev/urandom', '/dev/full',
  'pipe.wav', 'folder', 'link.wav', 'big.wav', [], {}, [1, 2], { at: 1 }, 'in.wav', 'bad.wav', 3600, 192000, 1e-9,
];

function mutateScript(r: Random): unknown {
  const s = JSON.parse(JSON.stringify(BASE_SCRIPT)) as Record<string, unknown>;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const kind = r();
    const keys = Object.keys(s);
    if (kind < 0.4) s[pick(r, keys)] = pick(r, ODD_VALUES);
    else if (kind < 0.5) delete s[pick(r, keys)];
    else if (kind < 0.7) {
      const events = Array.isArray(s.events) ? s.events : [];
      events.push({ [pick(r, ['at', 'frame', 'track', 'command', 'value', 'extra'])]: pick(r, ODD_VALUES), track: Math.floor(r() * 10), command: pick(r, ['record', 'play', 'overdub', 'undo', 'clear', 'bpm', 'volume', 'nope']) });
      s.events = events;
    } else if (kind < 0.85) {
      const outputs = (typeof s.outputs === 'object' && s.outputs !== null ? s.outputs : {}) as Record<string, unknown>;
      outputs[pick(r, ['mix', 'stems', 'format', 'extra'])] = pick(r, ODD_VALUES);
      s.outputs = outputs;
    } else {
      const metronome = (typeof s.metronome === 'object' && s.metronome !== null ? s.metronome : {}) as Record<string, unknown>;
      metronome[pick(r, ['sound', 'volume', 'enabled'])] = pick(r, ODD_VALUES);
      s.metronome = metronome;
    }
  }
  return s;
}

function mutateWav(r: Random, wav: Buffer): Buffer {
  const out = Buffer.from(wav);
  const kind = r();
  if (kind < 0.3) return out.subarray(0, Math.floor(r() * out.length)); // cut anywhere
  if (kind < 0.7) {
    // header fields: sizes, format, channels, rate, block align, bits
    for (let i = 0; i < 1 + Math.floor(r() * 4); i++) out.writeUInt32LE(Math.floor(r() * 2 ** 32), pick(r, [4, 16, 20, 24, 28, 32, 40]) & ~3);
    return out;
  }
  for (let i = 0; i < 1 + Math.floor(r() * 16); i++) out[Math.floor(r() * Math.min(out.length, 64))] = Math.floor(r() * 256);
  return out;
}

function renderFuzz(deadline: number, r: Random): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-fuzz-'));
  const timeAvailable = fs.existsSync('/usr/bin/time');
  const good = encodeWav(new Float32Array(RATE * 2).map((_, i) => Math.sin(i / 7) * 0.5), 2, RATE, 'float32');
  fs.writeFileSync(path.join(dir, 'in.wav'), good);
  fs.mkdirSync(path.join(dir, 'folder'));
  fs.symlinkSync(path.join(dir, 'in.wav'), path.join(dir, 'link.wav'));
  execFileSync('mkfifo', [path.join(dir, 'pipe.wav')]);
  fs.closeSync(fs.openSync(path.join(dir, 'big.wav'), 'w'));
  fs.truncateSync(path.join(dir, 'big.wav'), 2 ** 31);
  const counts = { runs: 0, ok: 0, refused: 0, crash: 0, timeout: 0, over_memory: 0 };
  const defects: string[] = [];
  let maxRssMib = 0;
  let maxMs = 0;
  try {
    while (Date.now() < deadline) {
      fs.writeFileSync(path.join(dir, 'bad.wav'), mutateWav(r, good));
      const script = r() < 0.7 ? mutateScript(r) : { ...BASE_SCRIPT, input: 'bad.wav' };
      fs.writeFileSync(path.join(dir, 'script.json'), JSON.stringify(script));
      const started = Date.now();
      const command = timeAvailable ? ['/usr/bin/time', ['-f', 'RSS_KIB=%M', process.execPath, BIN, 'render', 'script.json']] as const : [process.execPath, [BIN, 'render', 'script.json']] as const;
      const res = spawnSync(command[0], [...command[1]], { cwd: dir, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' });
      const ms = Date.now() - started;
      maxMs = Math.max(maxMs, ms);
      counts.runs++;
      const rss = Number(/RSS_KIB=(\d+)/.exec(res.stderr ?? '')?.[1] ?? 0) / 1024;
      maxRssMib = Math.max(maxRssMib, rss);
      // /usr/bin/time's own lines are not the render's
      const stderr = (res.stderr ?? '').replace(/RSS_KIB=\d+\n?/, '').replace(/^Command exited with non-zero status \d+\n?/m, '');
      const sample = JSON.stringify(script).slice(0, 300);
      if (res.error || res.signal) {
        counts.timeout++;
        defects.push(`timeout (${ms} ms): ${sample}`);
      } else if (rss > RUN_MAX_RSS_MIB) {
        counts.over_memory++;
        defects.push(`${rss.toFixed(0)} MiB: ${sample}`);
      } else if (res.status === 0) counts.ok++;
      else if (res.status === 2 && stderr.trimEnd().split('\n').length === 1 && !/\n\s+at /.test(stderr)) counts.refused++;
      else {
        counts.crash++;
        defects.push(`exit ${res.status}: ${stderr.slice(0, 300)} <- ${sample}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  emit({ case: 'fuzz-render', seed, seconds, ...counts, max_run_ms: maxMs, max_rss_mib: Math.round(maxRssMib), defects: defects.slice(0, 5) });
}

// ---------------------------------------------------------------- osc

function oscSeeds(r: Random): Buffer[] {
  const messages = [
    encodeMessage('/sl/0/down', 's', ['record']),
    encodeMessage('/sl/-1/set', 'sf', ['feedback', 0.5]),
    encodeMessage('/ping', 'ss', ['osc.udp://127.0.0.1:9000/', '/pong']),
    encodeMessage('/sl/1/get', 'sss', ['state', 'osc.udp://127.0.0.1:9000/', '/state']),
    encodeMessage('/set', 'sd', ['tempo', 120]),
    encodeMessage('/x', 'ihbTFN', [1, 2n, Buffer.from([1, 2, 3])]),
  ];
  return [...messages, encodeBundle(messages.slice(0, 3)), encodeBundle([encodeBundle([pick(r, messages)])])];
}

function mutatePacket(r: Random, seeds: Buffer[]): Buffer {
  const kind = r();
  if (kind < 0.1) return Buffer.from(Array.from({ length: Math.floor(r() * 256) }, () => Math.floor(r() * 256)));
  const out = Buffer.from(pick(r, seeds));
  if (kind < 0.3) return out.subarray(0, Math.floor(r() * out.length));
  if (kind < 0.5) {
    // sizes: a bundle element's length or a blob's, big or negative
    if (out.length >= 4) out.writeInt32BE(pick(r, [-1, 0, 3, 0x7fffffff, Math.floor(r() * 2 ** 31)]), Math.floor(r() * (out.length / 4)) * 4);
    return out;
  }
  if (kind < 0.6) {
    // nested bundles deeper than any sender would
    let b = pick(r, seeds);
    for (let i = 0; i < 1 + Math.floor(r() * 20); i++) b = encodeBundle([b]);
    return b;
  }
  for (let i = 0; i < 1 + Math.floor(r() * 8); i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return out;
}

function oscFuzz(deadline: number, r: Random): void {
  const seeds = oscSeeds(r);
  const counts = { packets: 0, decoded: 0, refused: 0, crash: 0 };
  const defects: string[] = [];
  let slowestUs = 0;
  while (Date.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      const packet = mutatePacket(r, seeds);
      const t = process.hrtime.bigint();
      try {
        decodePacket(packet);
        counts.decoded++;
      } catch (err) {
        if (err instanceof OscError) counts.refused++;
        else {
          counts.crash++;
          if (defects.length < 5) defects.push(`${(err as Error).message}: ${packet.toString('hex').slice(0, 120)}`);
        }
      }
      slowestUs = Math.max(slowestUs, Number(process.hrtime.bigint() - t) / 1000);
      counts.packets++;
    }
  }
  emit({ case: 'fuzz-osc', seed, seconds, ...counts, slowest_decode_us: Math.round(slowestUs), defects });
}

const random = seeded(seed);
if (which !== 'osc') renderFuzz(Date.now() + seconds * 1000 * (which === 'render' ? 1 : 0.5), random);
if (which !== 'render') oscFuzz(Date.now() + seconds * 1000 * (which === 'osc' ? 1 : 0.5), random);
