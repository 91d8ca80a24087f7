import { performance } from 'perf_hooks';
import { DEFAULT_HOST_CONFIG } from '../lib/control/host-config';
import { InProcessClient } from '../lib/io/in-process-client';
import { HostEvent } from '../lib/io/protocol';
import { LevelThrottle } from '../lib/control/level-throttle';

// `node dist/bench/event-timing.js [--json] [--seconds=N]`: the real-time side of what the tests check
// on a manual clock (timings reported, never asserted). The in-process engine (null backend, 48000 Hz,
// 256-frame blocks, 400 bpm) runs on the system clock:
//   beats   each beat event's arrival against the time its frame sounds (t0 + frame / rate): the
//           earliest, median, p99 and latest offset in ms (never negative is the contract; a block
//           or two late is the output buffer), and the drift between the first and last beats
//   levels  level reports per second and a mixer's 20-a-second level msgs paced by them

const json = process.argv.includes('--json');
const seconds = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 10);
const RATE = 48000;

function emit(row: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(row)}\n` : `${text}\n`);
}

async function main(): Promise<void> {
  const client = new InProcessClient({ ...DEFAULT_HOST_CONFIG, backend: 'null', sampleRate: RATE, blockFrames: 256, bpm: 400, memoryMiB: 4 });
  const offsets: number[] = [];
  let levels = 0;
  let levelMsgs = 0;
  const throttle = new LevelThrottle(20);
  let t0 = 0;
  client.on('event', (e: HostEvent) => {
    const now = performance.now();
    if (e.type === 'beat') offsets.push(now - (t0 + (e.frame / RATE) * 1000));
    if (e.type === 'levels') {
      levels++;
      if (throttle.add(e.output[0], e.output[1], now)) levelMsgs++;
    }
  });
  await client.start();
  // start() renders block 0 and resolves at once: frame 0 is (within a block) now
  t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await client.stop();
  const sorted = [...offsets].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const drift = offsets[offsets.length - 1] - offsets[0];
  const r = (x: number) => Number(x.toFixed(2));
  emit(
    { case: 'beats', seconds, beats: offsets.length, earliest_ms: r(sorted[0]), median_ms: r(at(0.5)), p99_ms: r(at(0.99)), latest_ms: r(sorted[sorted.length - 1]), drift_ms: r(drift) },
    `beats: ${offsets.length} in ${seconds} s, offset from their sound time: earliest ${r(sorted[0])} ms, median ${r(at(0.5))}, ` +
      `p99 ${r(at(0.99))}, latest ${r(sorted[sorted.length - 1])}; drift first to last ${r(drift)} ms`,
  );
  emit(
    { case: 'levels', seconds, reports_per_s: r(levels / seconds), mixer_msgs_per_s: r(levelMsgs / seconds) },
    `levels: ${r(levels / seconds)} reports/s, a mixer at 20/s sends ${r(levelMsgs / seconds)}/s`,
  );
}

void main();
