// Measures what docs/audio.md reports: `node dist/test/audio/measure.js [runs]`.
// ALSA null device: time to first data and pace. PulseAudio null sink (start-pulse-null.sh first):
// loopback round trip and cleanliness, separate streams vs one duplex stream, at 48 kHz / 256 frames.

import { AlsaNullSetup, pulseEnv, pulseUnavailableReason, resultOf, runChild } from './harness';
import type { CaptureResult, LoopbackResult, PlayResult } from './stream-child';

const RATE = 48000;
const FRAMES = 256;

async function alsaNull(): Promise<void> {
  const setup = new AlsaNullSetup(FRAMES);
  try {
    const blocks = Math.round((10 * RATE) / FRAMES);
    const common = { device: 'default', sampleRate: RATE, framesPerBuffer: FRAMES, blocks };
    const cap = resultOf<CaptureResult>(await runChild({ job: 'capture', ...common }, { env: setup.env }));
    const play = resultOf<PlayResult>(await runChild({ job: 'play', ...common }, { env: setup.env }));
    console.log(
      `alsa-null capture: first data ${cap.firstDataMs.toFixed(1)} ms, ${cap.audioMs} ms of audio in ${cap.elapsedMs.toFixed(0)} ms`,
    );
    console.log(`alsa-null play: ${play.audioMs} ms of audio in ${play.elapsedMs.toFixed(0)} ms`);
  } finally {
    setup.dispose();
  }
}

async function pulse(runs: number): Promise<void> {
  const reason = pulseUnavailableReason();
  if (reason) {
    console.log(`pulse: skipped, ${reason}`);
    return;
  }
  for (const mode of ['separate', 'duplex'] as const) {
    const rows: string[] = [];
    let clean = 0;
    for (let i = 0; i < runs; i++) {
      const run = await runChild(
        { job: 'loopback', mode, inputDevice: 'pulse', outputDevice: 'pulse', sampleRate: RATE, framesPerBuffer: FRAMES, blocks: Math.round((4 * RATE) / FRAMES) },
        { env: pulseEnv(), timeoutMs: 35000 },
      );
      const r = resultOf<LoopbackResult>(run);
      const a = r.analysis;
      const isClean = a.segments.length === 1 && a.lostFrames === 0 && a.clicksMisplaced === 0 && a.segments[0].at === a.clickLatency;
      if (isClean) clean++;
      rows.push(
        `  run ${i + 1}: first data ${r.firstDataMs.toFixed(0)} ms, round trip ${a.clickLatency} frames, ` +
          `${a.segments.length} runs, ${a.lostFrames} lost, ${a.clicksMisplaced}/${a.clicksFound} clicks misplaced, ` +
          `starts at ${a.firstSignalAt}${isClean ? ', clean' : ''}; close ${r.close.join('/')}; ${run.xrunLines} xrun lines`,
      );
    }
    console.log(`pulse ${mode}: ${clean}/${runs} clean\n${rows.join('\n')}`);
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 10);
  await alsaNull();
  await pulse(runs);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
