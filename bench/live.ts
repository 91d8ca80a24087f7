import os from 'os';
import { performance } from 'perf_hooks';
import type { HostStatus } from '../lib/io/client';
import { ForkedClient } from '../lib/io/forked-client';
import type { HostConfig, HostEvent } from '../lib/io/protocol';
import { JackServer, startJackDummy, startSooperLooper } from './peers/jack-peers';
import { busyLoops, cpuSeconds, limitToPiCore, rssMiB, threadsCpu } from './proc';

// The live bench (not a test): the engine host and SooperLooper 1.7.8 side by side on ONE private
// dummy JACK server (48 kHz, 256 frames), each with the same number of stereo loops playing, and the
// CPU of each process over the same window, their ratio, the host's pace (engine frames per wall-clock
// frame: 1 when nothing was lost) and its xruns by source.
//
//   node dist/bench/live.js [--loops 8,32] [--seconds 40] [--busy N] [--pi] [--realtime N] [--device D] [--json]
//
// --busy N: N busy loops load the machine meanwhile (as a loaded Pi, or a desktop, would).
// --pi: the host in a cgroup v1 cpu controller limited to 30% of one core granted every 5 ms
//   (cpu.cfs_period_us 5000, cpu.cfs_quota_us 1500), a stand-in for a Raspberry Pi 4 core; needs root.
// --realtime N: the host under SCHED_FIFO priority N (as .ci/run runs it).
// --jack-realtime: the JACK server (and so both clients' process threads) at SCHED_FIFO, as on a Pi set
//   up for audio; without it the dummy server's own late cycles cost both processes frames alike.
// LOOPSTATION_AUDIO_PATH=naudiodon measures the stream path instead of the callback bridge (on ALSA's
// "jack" plugin device: naudiodon's own PortAudio has no JACK host API). --device: default jack:system.
// Needs: apt-get install -y jackd2 sooperlooper gcc, and the bridge built (npx loopstation build-audio).

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const loopCounts = arg('loops', '8,32').split(',').map(Number);
const seconds = Number(arg('seconds', '40'));
const busy = Number(arg('busy', '0'));
const pi = process.argv.includes('--pi');
const realtime = process.argv.includes('--realtime') ? Number(arg('realtime', '20')) : undefined;
const json = process.argv.includes('--json');
const jackRealtime = process.argv.includes('--jack-realtime');
/** the stream path's bundled PortAudio has no JACK host API: it reaches JACK through ALSA's "jack" plugin */
const device = arg('device', process.env.LOOPSTATION_AUDIO_PATH === 'naudiodon' ? 'jack' : 'jack:system');
const RATE = 48000;
const BLOCK = 256;
const LOOP_SECONDS = 2;
const RECORD_STAGGER_FRAMES = 0.3 * RATE;

const log = (line: string) => !json && process.stdout.write(`${line}\n`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startHost(jack: JackServer, loops: number): Promise<{ client: ForkedClient; xruns: Record<string, number>; notice?: string; binding?: string }> {
  const config: HostConfig = {
    sampleRate: RATE,
    blockFrames: BLOCK,
    tracks: loops,
    bpm: 120,
    beatsPerBar: 4,
    quantize: 'off',
    crossfadeFrames: 128,
    inputLatencyFrames: 0,
    backend: 'portaudio',
    inputDevice: device,
    outputDevice: device,
    sessionDir: '',
    metronome: { enabled: false, volume: 0, countInBars: 0, sound: 'builtin' },
    memoryMiB: 64 + loops * 8,
  };
  const client = new ForkedClient(config, { env: jack.env, realtimePriority: realtime });
  const xruns: Record<string, number> = {};
  client.on('event', (e: HostEvent) => {
    if (e.type === 'xrun') {
      const key = `${e.source ?? 'host'}${e.side ? `-${e.side}` : ''}`;
      xruns[key] = (xruns[key] ?? 0) + 1;
    }
  });
  const ready = await client.start();
  const { frame } = (await client.request({ type: 'status' })) as HostStatus;
  // staggered: each pass in progress takes half the largest free memory, so 32 at once would not fit
  for (let t = 1; t <= loops; t++) {
    const at = frame + RATE / 4 + (t - 1) * RECORD_STAGGER_FRAMES;
    client.send({ type: 'command', command: 'record', track: t, frame: at });
    client.send({ type: 'command', command: 'play', track: t, frame: at + LOOP_SECONDS * RATE });
  }
  return { client, xruns, notice: ready.notice, binding: ready.binding };
}

async function runCase(loops: number): Promise<Record<string, unknown>> {
  const jack = await startJackDummy('loopstation-bench', RATE, BLOCK, jackRealtime);
  const sl = await startSooperLooper(jack, loops, 19951 + (process.pid % 1000));
  const host = await startHost(jack, loops);
  const load = busyLoops(busy);
  try {
    // SooperLooper's loops: record on all, then record again two seconds later: all play
    sl.send('/sl/-1/hit', 's', ['record']);
    await wait(LOOP_SECONDS * 1000);
    sl.send('/sl/-1/hit', 's', ['record']);
    await wait(LOOP_SECONDS * 1000 + 1000 + ((loops - 1) * RECORD_STAGGER_FRAMES * 1000) / RATE);
    const status = (await host.client.request({ type: 'status' })) as HostStatus;
    const playing = status.tracks.filter((t) => t.state === 'playing').length;
    if (playing !== loops) throw new Error(`only ${playing} of ${loops} host loops play`);
    const hostPid = host.client.pid!;
    if (pi) limitToPiCore(hostPid);
    for (const k of Object.keys(host.xruns)) host.xruns[k] = 0;
    const start = performance.now();
    const h0 = cpuSeconds(`/proc/${hostPid}/stat`);
    const s0 = cpuSeconds(`/proc/${sl.pid}/stat`);
    const t0 = threadsCpu(hostPid);
    const f0 = ((await host.client.request({ type: 'status' })) as HostStatus).frame;
    const w0 = performance.now();
    await wait(seconds * 1000);
    const f1 = ((await host.client.request({ type: 'status' })) as HostStatus).frame;
    const w1 = performance.now();
    const wallS = (performance.now() - start) / 1000;
    const h1 = cpuSeconds(`/proc/${hostPid}/stat`);
    const s1 = cpuSeconds(`/proc/${sl.pid}/stat`);
    const t1 = threadsCpu(hostPid);
    const hostCpu = (100 * (h1 - h0)) / wallS;
    const slCpu = (100 * (s1 - s0)) / wallS;
    const perThread = [...t1]
      .map(([tid, t]) => ({ name: t.name, percent: (100 * (t.cpu - (t0.get(tid)?.cpu ?? 0))) / wallS }))
      .filter((t) => t.percent >= 0.05)
      .sort((a, b) => b.percent - a.percent)
      .map((t) => `${t.name}:${t.percent.toFixed(2)}`);
    return {
      case: 'live',
      loops,
      seconds: Number(wallS.toFixed(1)),
      binding: host.binding,
      busyLoops: busy,
      piCgroup: pi,
      realtimePriority: realtime ?? null,
      jackRealtime,
      hostCpuPercent: Number(hostCpu.toFixed(2)),
      sooperlooperCpuPercent: Number(slCpu.toFixed(2)),
      ratio: Number((hostCpu / slCpu).toFixed(2)),
      pace: Number(((f1 - f0) / RATE / ((w1 - w0) / 1000)).toFixed(4)),
      xruns: host.xruns,
      hostRssMiB: Number(rssMiB(hostPid).toFixed(1)),
      sooperlooperRssMiB: Number(rssMiB(sl.pid).toFixed(1)),
      hostThreads: perThread,
      loadAverage: Number(os.loadavg()[0].toFixed(2)),
    };
  } finally {
    for (const p of load) p.kill('SIGKILL');
    await host.client.stop();
    await sl.stop();
    await jack.stop();
  }
}

async function main(): Promise<void> {
  for (const loops of loopCounts) {
    const r = await runCase(loops);
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      log(`${loops} loops, ${r.seconds} s on one dummy JACK server (${r.binding}${busy ? `, ${busy} busy loops` : ''}${pi ? ', host at 30% of a core' : ''}):`);
      log(`  host ${r.hostCpuPercent}% of a core, SooperLooper ${r.sooperlooperCpuPercent}%: ratio ${r.ratio}; pace ${r.pace}; xruns ${JSON.stringify(r.xruns)}`);
      log(`  RSS host ${r.hostRssMiB} MiB, SooperLooper ${r.sooperlooperRssMiB} MiB; host threads ${(r.hostThreads as string[]).join(', ')}`);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`live bench: ${(err as Error).message}\n`);
  process.exit(1);
});
