import { hostMicros } from '../lib/sync/link/udp';
import { cpuSeconds } from './proc';
import { phaseOf } from '../lib/sync/link/timeline';
import { HeardBeat, LinkedEngine } from '../test/sync/interop/linked-engine';
import { TestPeer, buildTestPeer, inNamespace, insideTestNamespace, interopUnavailable } from '../test/sync/interop/peers';
import { LOSES_TIES, locked, nodeIds, twoLoopers, until } from '../test/sync/interop/session-checks';

// `npm run bench -- --case=link [--json] [--seconds=60] [--runs=6] [--cases=phase,loopers,tempo,cpu]`
// (or `node dist/bench/link.js ...` after `npm run build`): an engine host (forked, null backend, paced
// in real time) in a Link session with the test peer compiled against Ableton's Link library, in a
// private network namespace (the script re-runs itself under `unshare -n`; it needs root, like the
// interop tests). Reported, never asserted; results in bench/RESULTS-link.md. Run it on a quiet machine.
//   phase    each engine beat, when it sounded (LinkSync's frame clock), against the peer's beat grid
//            at that instant: median, p95 and max |error| in ms over --seconds; and the same at the beat
//            event's arrival (what a flow sees: the frame clock's work is the difference)
//   loopers  two engine hosts in the peer's session record a 2-bar loop each, on each other's click
//            (quantize bar): each loop start (record start, two repeats) against the session's bar
//            lines, and the two loopers' starts against each other (the phase error between them), ms
//   tempo    tempo changes made on the peer: beats (of the new tempo) from the change until the engine
//            plays a beat at it; and changes proposed by ours: ms until the peer has them
//   cpu      this process's CPU (the Node-RED side: the peer, the follower, the engine connection) over
//            --seconds, in --runs runs alternating Link off and on (the engine host is another
//            process, and the library peer runs in both): median and spread of each, the difference of
//            the medians is the sync's cost; with the datagrams per second the peer received, and the
//            CPU time spent handling them (the work without the wake-ups)

const json = process.argv.includes('--json');
const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const seconds = Number(option('seconds') ?? 60);
const runs = Number(option('runs') ?? 6);
const cases = (option('cases') ?? 'phase,loopers,tempo,cpu').split(',');

function emit(row: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(row)}\n` : `${text}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function summary(values: number[]): { median: number; p95: number; max: number; n: number } {
  const s = values.map(Math.abs).sort((a, b) => a - b);
  const at = (q: number): number => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 1000) / 1000;
  return { median: at(0.5), p95: at(0.95), max: at(1), n: s.length };
}

async function errorsAgainst(ref: TestPeer, beats: HeardBeat[], at: (b: HeardBeat) => number, tempo: number): Promise<number[]> {
  const out: number[] = [];
  for (const b of beats) {
    const theirs = await ref.beatAt(at(b));
    out.push(((theirs - Math.round(theirs)) * 60000) / tempo);
  }
  return out;
}

async function phaseCase(binary: string): Promise<void> {
  const ref = new TestPeer(binary, 120);
  await ref.status();
  // the engine joins the library's session: it loses the tie of sessions under 500 ms apart in age
  const engine = new LinkedEngine(97, {}, nodeIds(LOSES_TIES));
  await engine.start();
  try {
    await until(() => locked(engine), 30000, 'the engine locks');
    const from = engine.beats.length;
    await sleep(seconds * 1000);
    const beats = engine.beats.slice(from);
    const heard = summary(await errorsAgainst(ref, beats, (b) => b.heard, 120));
    const arrival = summary(await errorsAgainst(ref, beats, (b) => b.arrived, 120));
    const bars = beats.filter((b) => b.beatInBar === 0).length;
    let barsOff = 0;
    for (const b of beats) if ((b.beatInBar === 0) !== (phaseOf(Math.round(b.link?.beat ?? 0), 4) === 0)) barsOff++;
    emit({ case: 'phase', seconds, heardMs: heard, arrivalMs: arrival, bars, barsOff }, `phase   ${seconds} s, ${heard.n} beats: |error| at the heard time median ${heard.median} ms, p95 ${heard.p95}, max ${heard.max}; at the event's arrival median ${arrival.median} ms, max ${arrival.max}; ${bars} bars, ${barsOff} beats off the session's bar lines`);
  } finally {
    await engine.stop();
    await ref.quit();
  }
}

async function tempoCase(binary: string): Promise<void> {
  const ref = new TestPeer(binary, 120);
  await ref.status();
  const engine = new LinkedEngine(120, {}, nodeIds(LOSES_TIES));
  await engine.start();
  try {
    await until(() => locked(engine), 30000, 'the engine locks');
    const heardAfter: number[] = [];
    for (const bpm of [100, 140, 90]) {
      await sleep(1700);
      const changed = hostMicros();
      await ref.command(`tempo ${bpm}`);
      const period = (60 * 48000) / bpm;
      let first: number | undefined;
      await until(() => {
        const after = engine.beats.filter((b) => b.heard > changed - 1e6);
        for (let i = 1; i < after.length; i++) {
          if (after[i - 1].heard > changed && Math.abs(after[i].frame - after[i - 1].frame - period) < period * 0.02) {
            first = after[i - 1].heard;
            return true;
          }
        }
        return false;
      }, 10000, `the engine plays ${bpm} bpm`);
      heardAfter.push(((first as number) - changed) / (60e6 / bpm));
    }
    const proposed: number[] = [];
    for (const bpm of [111, 123]) {
      await sleep(1000);
      const t = Date.now();
      engine.connection.send({ type: 'command', command: 'bpm', track: 0, value: bpm });
      await until(async () => Math.abs((await ref.status()).tempo - bpm) < 0.01, 5000, `the peer has ${bpm} bpm`);
      proposed.push(Date.now() - t);
    }
    const r = (x: number): number => Math.round(x * 100) / 100;
    emit({ case: 'tempo', beatsUntilHeard: heardAfter.map(r), proposedMs: proposed }, `tempo   peer -> engine: the new tempo heard after ${heardAfter.map(r).join(', ')} beats; engine -> peer: ${proposed.join(', ')} ms`);
  } finally {
    await engine.stop();
    await ref.quit();
  }
}

/** One run: this process's CPU, % of a core, over --seconds; with Link, the datagrams a second its peer received. */
async function cpuOf(link: boolean, binary: string): Promise<{ percent: number; libraryPercent: number; xruns: number; datagrams?: Record<string, number>; handlerPercent?: number }> {
  const ref = new TestPeer(binary, 120);
  await ref.status();
  const engine = new LinkedEngine(120, { sync: link ? 'link' : 'internal' });
  await engine.start();
  try {
    if (link) await until(() => locked(engine), 30000, 'the engine locks');
    else await sleep(3000);
    const counts: Record<string, number> = {};
    let handlerMicros = 0;
    const net = engine.network;
    const deliver = net?.onDatagram;
    if (net && deliver) {
      net.onDatagram = (socket, data, from) => {
        // the message type: byte 8 of both kinds (discovery: 1 alive, 2 response, 3 bye-bye; measurement: 1 ping, 2 pong)
        const kind = `${socket}:${data[8] ?? '?'}`;
        counts[kind] = (counts[kind] ?? 0) + 1;
        // CPU time, not wall time: on a busy machine the process may wait for a core meanwhile
        const t0 = process.cpuUsage();
        deliver(socket, data, from);
        const d = process.cpuUsage(t0);
        handlerMicros += d.user + d.system;
      };
    }
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    const xruns = engine.xruns;
    const library = cpuSeconds(`/proc/${ref.pid}/stat`);
    await sleep(seconds * 1000);
    const used = process.cpuUsage(cpu);
    const libraryUsed = cpuSeconds(`/proc/${ref.pid}/stat`) - library;
    const wall = Number(process.hrtime.bigint() - t) / 1000;
    if (net && deliver) net.onDatagram = deliver;
    const perSecond = Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, Math.round((n / (wall / 1e6)) * 100) / 100]));
    // the peer's own work on the datagrams (decoding, state, answers), without the wake-ups: % of a core
    const handlerPercent = (100 * handlerMicros) / wall;
    return { percent: (100 * (used.user + used.system)) / wall, libraryPercent: (100 * libraryUsed * 1e6) / wall, xruns: engine.xruns - xruns, datagrams: link ? perSecond : undefined, handlerPercent: link ? handlerPercent : undefined };
  } finally {
    await engine.stop();
    await ref.quit();
  }
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function cpuCase(binary: string): Promise<void> {
  const off: number[] = [];
  const on: number[] = [];
  const handler: number[] = [];
  const xruns = { off: 0, on: 0 };
  // the Link library's own peer (the compiled test peer, a process of its own): alone, and in the session with ours
  const library: { off: number[]; on: number[] } = { off: [], on: [] };
  let datagrams: Record<string, number> | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await cpuOf(i % 2 === 1, binary);
    (i % 2 === 1 ? on : off).push(r.percent);
    xruns[i % 2 === 1 ? 'on' : 'off'] += r.xruns;
    library[i % 2 === 1 ? 'on' : 'off'].push(r.libraryPercent);
    if (r.handlerPercent !== undefined) handler.push(r.handlerPercent);
    datagrams = r.datagrams ?? datagrams;
  }
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  const row = {
    case: 'cpu',
    seconds,
    runs,
    offPercent: { median: r3(median(off)), min: r3(Math.min(...off)), max: r3(Math.max(...off)) },
    onPercent: { median: r3(median(on)), min: r3(Math.min(...on)), max: r3(Math.max(...on)) },
    syncPercent: r3(median(on) - median(off)),
    datagramsPerSecond: datagrams,
    handlerPercent: Math.round(median(handler) * 10000) / 10000,
    xruns,
    libraryPercent: { alone: r3(median(library.off)), inSession: r3(median(library.on)) },
  };
  emit(row, `cpu     ${runs} runs of ${seconds} s, alternating: this process ${row.offPercent.median} % of a core without Link (${row.offPercent.min} to ${row.offPercent.max}), ${row.onPercent.median} % with (${row.onPercent.min} to ${row.onPercent.max}): the sync costs ${row.syncPercent} %; datagrams received a second ${JSON.stringify(datagrams)}, handled in ${row.handlerPercent} % of a core (the rest of the cost is waking up for them); engine xruns without Link ${xruns.off}, with ${xruns.on}; the Link library's own peer process in the same windows: ${row.libraryPercent.alone} % alone, ${row.libraryPercent.inSession} % in the session with ours (ours / library: ${r3(row.syncPercent / row.libraryPercent.inSession)})`);
}

async function loopersCase(binary: string): Promise<void> {
  const r = await twoLoopers(binary);
  const apart = summary(r.apartMs);
  const off = summary(r.offBarMs.flat());
  emit({ case: 'loopers', ...r }, `loopers two loopers, 2-bar loops recorded on each other's click: starts ${JSON.stringify(r.apartMs)} ms apart (max ${apart.max}); off the session's bar lines ${JSON.stringify(r.offBarMs)} ms (max ${off.max}); lengths ${r.loopFrames.join(', ')} frames (2 bars: 192000); session bars ${JSON.stringify(r.bars)}`);
}

async function main(): Promise<void> {
  if (!insideTestNamespace()) {
    const why = interopUnavailable();
    if (why) {
      emit({ case: 'link', skipped: why }, `skipped: ${why}`);
      return;
    }
    const binary = buildTestPeer();
    process.stdout.write(await inNamespace(__filename, [...process.argv.slice(2), `--peer=${binary}`], (seconds * (runs + 2) + 240) * 1000));
    return;
  }
  const binary = process.argv.find((a) => a.startsWith('--peer='))?.slice(7) ?? buildTestPeer();
  if (cases.includes('phase')) await phaseCase(binary);
  if (cases.includes('loopers')) await loopersCase(binary);
  if (cases.includes('tempo')) await tempoCase(binary);
  if (cases.includes('cpu')) await cpuCase(binary);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
