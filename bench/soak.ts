import { performance } from 'perf_hooks';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { HostStatus } from '../lib/io/client';
import { ForkedClient } from '../lib/io/forked-client';
import type { BackendName, HostConfig, HostEvent } from '../lib/io/protocol';
import { startJackDummy } from './peers/jack-peers';
import { busyLoops, cpuSeconds, limitToPiCore, rssMiB, threadsCpu } from './proc';

// The soak bench (not part of npm test): the engine host plays 8 loops at 256
// frames for 10 minutes while this process, its parent, misbehaves the way a busy Node-RED does: the
// main thread blocked 200 ms every second, and the libuv threadpool kept busy with file work. Reports
// xruns (goal 0), the host's CPU (of one core, and per thread), and its memory at the start and end.
//
//   node dist/bench/soak.js [--minutes 10] [--backend portaudio|null] [--device pulse] [--jack] [--busy N] [--pi]
//                           [--realtime N] [--no-load] [--json]
//
// --jack: on a private JACK server on the dummy backend (48 kHz, 256 frames), device jack:system;
//   --jack-realtime runs that server at SCHED_FIFO (root).
// --busy N: N busy loops load the whole machine meanwhile, besides the parent's own misbehaviour.
// --pi: the host in a cgroup v1 cpu controller limited to 30% of one core granted every 5 ms, a
//   stand-in for a Raspberry Pi 4 core (root only).
// --no-load: the same run without the parent's misbehaviour, as a control on a machine shared with others.
// --realtime N: the host under SCHED_FIFO priority N (ForkedClient's realtimePriority), where allowed.
// On the PulseAudio null sink: PULSE_SINK=loop PULSE_SOURCE=loop.monitor (test/audio/start-pulse-null.sh).

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const minutes = Number(arg('minutes', '10'));
const backend = arg('backend', 'portaudio') as BackendName;
const jack = process.argv.includes('--jack');
const device = arg('device', jack ? 'jack:system' : 'pulse');
const busy = Number(arg('busy', '0'));
const pi = process.argv.includes('--pi');
const json = process.argv.includes('--json');
const parentLoad = !process.argv.includes('--no-load');
const realtime = process.argv.includes('--realtime') ? Number(arg('realtime', '20')) : undefined;
const RATE = 48000;
const BLOCK = 256;
const TRACKS = 8;
const BLOCK_MAIN_MS = 200;
const POOL_JOBS = 4;

const config: HostConfig = {
  sampleRate: RATE,
  blockFrames: BLOCK,
  tracks: TRACKS,
  bpm: 120,
  beatsPerBar: 4,
  quantize: 'off',
  crossfadeFrames: 128,
  inputLatencyFrames: 0,
  backend,
  inputDevice: backend === 'portaudio' ? device : '',
  outputDevice: backend === 'portaudio' ? device : '',
  sessionDir: '',
  metronome: { enabled: true, volume: 0.3, countInBars: 0, sound: 'builtin' },
  memoryMiB: 256,
};

/** The main thread of a busy Node-RED: blocked, unresponsive, BLOCK_MAIN_MS out of every second. */
function blockMainThread(): NodeJS.Timeout {
  return setInterval(() => {
    const end = performance.now() + BLOCK_MAIN_MS;
    while (performance.now() < end);
  }, 1000);
}

/** POOL_JOBS file jobs always in flight on the threadpool (its default size is 4): writes with fsync, and reads. */
function busyThreadpool(dir: string): { stop(): void; jobs(): number } {
  let running = true;
  let done = 0;
  const chunk = Buffer.alloc(1 << 20, 7);
  const job = (i: number): void => {
    if (!running) return;
    const file = path.join(dir, `pool-${i}.bin`);
    fs.writeFile(file, chunk, () =>
      fs.open(file, 'r+', (err, fd) => {
        if (err) return job(i);
        fs.fsync(fd, () => fs.close(fd, () => fs.readFile(file, () => (done++, job(i)))));
      }),
    );
  };
  for (let i = 0; i < POOL_JOBS; i++) job(i);
  return { stop: () => (running = false), jobs: () => done };
}

async function main(): Promise<void> {
  const server = jack ? await startJackDummy('loopstation-soak', RATE, BLOCK, process.argv.includes('--jack-realtime')) : undefined;
  const client = new ForkedClient(config, { realtimePriority: realtime, env: server?.env });
  const xruns = { device: 0, host: 0 };
  const xrunTimes: number[] = [];
  let beats = 0;
  let errors: string[] = [];
  client.on('event', (e: HostEvent) => {
    if (e.type === 'xrun') {
      xruns[e.source ?? 'host']++;
      xrunTimes.push(performance.now());
    } else if (e.type === 'beat') beats++;
    else if (e.type === 'error') errors.push(e.message);
  });
  const ready = await client.start();
  const pid = client.pid!;
  const log = (line: string) => !json && process.stdout.write(`${line}\n`);
  log(`host ${pid}${realtime ? ` (SCHED_FIFO ${realtime} if allowed)` : ''}: ${ready.backend} ${ready.inputDevice} -> ${ready.outputDevice}, ${RATE} Hz, ${BLOCK} frames${ready.notice ? ` (${ready.notice})` : ''}`);

  // 8 loops of 1 to 4 s (the bench's lengths, 0.5 * (2 + i % 7) s), recorded at once from frame-stamped commands
  const status0 = (await client.request({ type: 'status' })) as HostStatus;
  const at = status0.frame + RATE / 2;
  for (let t = 1; t <= TRACKS; t++) {
    client.send({ type: 'command', command: 'record', track: t, frame: at });
    client.send({ type: 'command', command: 'play', track: t, frame: at + Math.round(RATE * 0.5 * (2 + ((t - 1) % 7))) });
  }
  await new Promise((r) => setTimeout(r, 6000));
  const playing = ((await client.request({ type: 'status' })) as HostStatus).tracks.filter((t) => t.state === 'playing').length;
  if (playing !== TRACKS) throw new Error(`only ${playing} of ${TRACKS} loops play`);
  errors = [];
  const xrunsBeforeLoad = { ...xruns };
  xruns.device = xruns.host = 0;
  xrunTimes.length = 0;

  if (pi) limitToPiCore(pid);
  const machineLoad = busyLoops(busy);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-soak-'));
  const pool = parentLoad ? busyThreadpool(tmp) : { stop: () => undefined, jobs: () => 0 };
  const blocker = parentLoad ? blockMainThread() : undefined;
  const start = performance.now();
  const cpu0 = cpuSeconds(`/proc/${pid}/stat`);
  const threads0 = threadsCpu(pid);
  const rss0 = rssMiB(pid);
  const load0 = os.loadavg()[0];
  const frame0 = ((await client.request({ type: 'status' })) as HostStatus).frame;
  log(`soaking ${minutes} min: 8 loops playing, ${parentLoad ? `parent blocked ${BLOCK_MAIN_MS} ms/s, ${POOL_JOBS} threadpool jobs in flight` : 'no parent load (control)'}; rss ${rss0.toFixed(1)} MiB`);

  const durationMs = minutes * 60000;
  while (performance.now() - start < durationMs) {
    await new Promise((r) => setTimeout(r, Math.min(60000, durationMs - (performance.now() - start))));
    log(`  ${((performance.now() - start) / 60000).toFixed(1)} min: xruns ${xruns.device} device / ${xruns.host} host, rss ${rssMiB(pid).toFixed(1)} MiB`);
  }
  const wallS = (performance.now() - start) / 1000;
  const cpu1 = cpuSeconds(`/proc/${pid}/stat`);
  const threads1 = threadsCpu(pid);
  const rss1 = rssMiB(pid);
  clearInterval(blocker);
  pool.stop();
  for (const p of machineLoad) p.kill('SIGKILL');
  const status1 = (await client.request({ type: 'status' })) as HostStatus;
  await client.stop();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });

  const framesRendered = status1.frame - frame0;
  const perThread = [...threads1]
    .map(([tid, t]) => ({ tid, name: t.name, percent: (100 * (t.cpu - (threads0.get(tid)?.cpu ?? 0))) / wallS }))
    .filter((t) => t.percent >= 0.05)
    .sort((a, b) => b.percent - a.percent);
  const result = {
    case: 'soak',
    parentLoad,
    realtimePriority: realtime ?? null,
    busyLoops: busy,
    piCgroup: pi,
    binding: ready.binding,
    backend: ready.backend,
    device: ready.outputDevice,
    minutes: wallS / 60,
    blockFrames: BLOCK,
    loops: TRACKS,
    xrunsDevice: xruns.device,
    xrunsHost: xruns.host,
    xrunsBeforeLoad,
    cpuPercentOfOneCore: (100 * (cpu1 - cpu0)) / wallS,
    cores: os.cpus().length,
    cpuPercentPerThread: perThread.map((t) => `${t.name}:${t.percent.toFixed(2)}`),
    rssStartMiB: rss0,
    rssEndMiB: rss1,
    /** frames rendered / real time: 1.000 when nothing was lost */
    pace: framesRendered / RATE / wallS,
    beats,
    poolJobs: pool.jobs(),
    loadAverageStart: load0,
    loadAverageEnd: os.loadavg()[0],
    errors: errors.slice(0, 5),
    stillPlaying: status1.tracks.filter((t) => t.state === 'playing').length,
  };
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    log(`xruns: ${result.xrunsDevice} device, ${result.xrunsHost} host (before the load: ${xrunsBeforeLoad.device}/${xrunsBeforeLoad.host})`);
    log(`host CPU: ${result.cpuPercentOfOneCore.toFixed(2)}% of one core (${result.cores} cores); by thread ${result.cpuPercentPerThread.join(', ')}`);
    log(`host memory (RSS): ${rss0.toFixed(1)} MiB at the start, ${rss1.toFixed(1)} MiB at the end`);
    log(`pace ${result.pace.toFixed(4)}, ${beats} beats, ${result.poolJobs} threadpool jobs, load average ${load0.toFixed(2)} -> ${result.loadAverageEnd.toFixed(2)}, ${result.stillPlaying} loops playing at the end`);
    if (errors.length) log(`host errors: ${errors.slice(0, 5).join(' | ')}`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`soak: ${err.message}\n`);
  process.exitCode = 1;
});
