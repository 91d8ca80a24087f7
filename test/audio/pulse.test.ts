// Real PortAudio streams on the PulseAudio null sink "loop" (paced like a card), looped back through
// its monitor source: the test signal goes out, comes back, and is found sample by sample.
// Start the sink with test/audio/start-pulse-null.sh.

import { strict as assert } from 'assert';
import { pulseEnv, pulseUnavailableReason, requireAudio, resultOf, runChild } from './harness';
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

  it('loops the click pattern back through separate streams, bit-exact and glitch-free', async () => {
    const run = await runChild(
      { job: 'loopback', mode: 'separate', inputDevice: 'pulse', outputDevice: 'pulse', sampleRate: RATE, framesPerBuffer: FRAMES, blocks: BLOCKS },
      { env: pulseEnv(), timeoutMs: 35000 },
    );
    const r = resultOf<LoopbackResult>(run);
    const a = r.analysis;
    const detail = `${a.segments.length} runs: ${JSON.stringify(a.segments.slice(0, 8))}, ${run.xrunLines} xrun lines`;
    assert.deepEqual(r.close, ['closed', 'closed']);
    assert.ok(a.clicksFound >= 20, `only ${a.clicksFound} clicks came back`);
    assert.equal(a.clicksMisplaced, 0, `clicks came back at different offsets; ${detail}`);
    assert.ok(a.clickLatency > 0, `round trip of ${a.clickLatency} frames`);
    // One constant-latency run from the first returned frame to the end: no stale, repeated or lost frames.
    assert.deepEqual(
      a.segments,
      [{ at: a.clickLatency, frames: a.capturedFrames - a.clickLatency, latency: a.clickLatency }],
      detail,
    );
    assert.equal(a.lostFrames, 0);
    console.log(`      round trip ${a.clickLatency} frames at ${RATE} Hz / ${FRAMES}; first data after ${r.firstDataMs.toFixed(0)} ms`);
  });

  it('returns the click pattern through one duplex stream (which may glitch: see the notes)', async () => {
    const run = await runChild(
      { job: 'loopback', mode: 'duplex', inputDevice: 'pulse', outputDevice: 'pulse', sampleRate: RATE, framesPerBuffer: FRAMES, blocks: BLOCKS },
      { env: pulseEnv(), timeoutMs: 35000 },
    );
    const r = resultOf<LoopbackResult>(run);
    const a = r.analysis;
    assert.deepEqual(r.close, ['closed']);
    assert.ok(a.clicksFound >= 20, `only ${a.clicksFound} clicks came back`);
    assert.ok(a.firstSignalAt > 0 && a.firstSignalAt === a.segments[0].latency, 'the signal did not come back from its start');
    console.log(`      duplex: first round trip ${a.segments[0].latency} frames, ${a.segments.length} constant-latency runs`);
  });
});
