// Real PortAudio streams on the PulseAudio null sink "loop" (paced like a card), looped back through
// its monitor source: the test signal goes out, comes back, and is found sample by sample.
// Start the sink with test/audio/start-pulse-null.sh.

import { strict as assert } from 'assert';
import { pulseEnv, pulseUnavailableReason, requireAudio, resultOf, runChild } from './harness';
import { CLICK_SPACING } from './signal';
import type { DevicesResult, LoopbackResult } from './stream-child';

const RATE = 48000;
const FRAMES = 256;
const BLOCKS = Math.round((4 * RATE) / FRAMES);

describe('audio: PortAudio on the PulseAudio null sink', function () {
  this.timeout(40000);

  before(async function () {
    requireAudio(this, pulseUnavailableReason());
    const run = await runChild({ job: 'devices' }, { env: pulseEnv() });
    if (!run.reply.ok) return requireAudio(this, `${run.reply.name}: ${run.reply.error}`);
    const names = (run.reply.result as DevicesResult).devices.map((d) => d.name);
    requireAudio(this, names.includes('pulse') ? undefined : `no ALSA "pulse" device (install libasound2-plugins); devices: ${names.join(', ')}`);
  });

  // Separate streams came back clean in 10 of 12 runs here, the others lost 255-1275 frames once in the
  // first second (the round trip then jumps by as much). So this asserts what always held: the pattern
  // returns bit-exact, most clicks at one round trip that the counter channel confirms.
  // A run that lost frames moved its own round trip midway (255-1275 frames here, on a busy machine): it
  // measures nothing, and is run again, up to three times; the checks hold for the first clean run.
  it('loops the click pattern back through separate streams and measures the round trip', async () => {
    let r = await loopback('separate');
    for (let attempt = 2; attempt <= 3 && r.analysis.lostFrames > 0; attempt++) {
      console.log(`      separate: attempt ${attempt - 1} lost ${r.analysis.lostFrames} frames; again`);
      r = await loopback('separate');
    }
    const a = r.analysis;
    const detail = `${a.segments.length} counter runs: ${JSON.stringify(a.segments.slice(0, 6))}, ${a.lostFrames} frames lost`;
    assert.deepEqual(r.close, ['closed', 'closed']);
    assert.ok(a.clicksFound >= 30, `only ${a.clicksFound} of ~40 clicks came back; ${detail}`);
    assert.ok(a.clicksMisplaced * 4 <= a.clicksFound, `${a.clicksMisplaced}/${a.clicksFound} clicks off the round trip; ${detail}`);
    assert.ok(a.clickLatency > 0, `round trip of ${a.clickLatency} frames`);
    assert.ok(
      a.segments.some((s) => s.latency === a.clickLatency && s.frames >= CLICK_SPACING),
      `the counter channel does not confirm a round trip of ${a.clickLatency}; ${detail}`,
    );
    console.log(`      separate: round trip ${a.clickLatency} frames, first data after ${r.firstDataMs.toFixed(0)} ms; ${detail}`);
  });

  // Duplex glitched in 11 of 12 runs here (3 stale frames every ~512): only the round trip is asserted.
  it('returns the click pattern through one duplex stream', async () => {
    const r = await loopback('duplex');
    const a = r.analysis;
    assert.deepEqual(r.close, ['closed']);
    assert.ok(a.clicksFound >= 30, `only ${a.clicksFound} of ~40 clicks came back`);
    assert.ok(a.firstSignalAt > 0, 'the signal never came back');
    console.log(`      duplex: round trip ${a.clickLatency} frames, ${a.segments.length} counter runs, ${a.clicksMisplaced}/${a.clicksFound} clicks misplaced`);
  });
});

async function loopback(mode: 'separate' | 'duplex'): Promise<LoopbackResult> {
  const run = await runChild(
    { job: 'loopback', mode, inputDevice: 'pulse', outputDevice: 'pulse', sampleRate: RATE, framesPerBuffer: FRAMES, blocks: BLOCKS },
    { env: pulseEnv(), timeoutMs: 35000 },
  );
  return resultOf<LoopbackResult>(run);
}
