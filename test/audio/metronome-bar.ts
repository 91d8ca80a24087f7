// A bar of the engine's own metronome, played to the device and recorded back through a loopback at
// the calibrated latency: the loop must hold the bar's clicks at the beat positions, sample for sample.
// Used on the PulseAudio sink (host-pulse.test.ts) and on JACK (bridge.test.ts).

import { strict as assert } from 'assert';
import { synthClick } from '../../lib/engine/click';
import { ForkedClient } from '../../lib/io/forked-client';
import type { CalibrationResult, HostEvent, LoopData } from '../../lib/io/protocol';
import { nextEvent } from '../io/harness';

const RATE = 48000;

export interface RecordOutcome {
  loop: Int16Array;
  latency: number;
  /** audio lost by the host (late engine) */
  xruns: number;
  /** under/overflows the device reported (on JACK's dummy backend: a late cycle, no sample lost) */
  deviceXruns: number;
}

/**
 * A recorded bar, or why the attempt does not count (a calibration an xrun spoiled, a round trip that
 * moved by more than `jitter` frames). `makeHost` makes a host with quantize bar and calibrateOnStart.
 */
export async function recordMetronomeBar(makeHost: () => ForkedClient, jitter = 0): Promise<RecordOutcome | string> {
  const c = makeHost();
  let xruns = 0;
  let deviceXruns = 0;
  const ready = await c.start();
  if (ready.notice) return `the start-up calibration failed: ${ready.notice}`;
  const latency = ready.inputLatencyFrames!;
  assert.ok(latency > 0);
  c.on('event', (e: HostEvent) => {
    if (e.type === 'xrun' && e.source === 'device') deviceXruns++;
    else if (e.type === 'xrun') xruns++;
  });
  c.send({ type: 'command', command: 'monitor', track: 0, value: false });
  const recording = nextEvent(c, 'state', (e) => e.state === 'recording', 15000);
  c.send({ type: 'command', command: 'record', track: 1 });
  const start = await recording;
  const playing = nextEvent(c, 'state', (e) => e.state === 'playing', 15000);
  c.send({ type: 'command', command: 'play', track: 1 });
  const end = await playing;
  assert.equal(end.frame - start.frame, 4 * 24000, 'one bar at 120 bpm');
  // the write side lags the play side by the latency: the loop is complete once rendering has passed
  // its end plus the latency (levels carry the frame rendered so far), a block later at most
  await nextEvent(c, 'levels', (e) => (e.frame ?? 0) >= end.frame + latency + ready.blockFrames, 15000);
  const data = (await c.request({ type: 'loop', track: 1 })) as LoopData;
  const after = await c.request({ type: 'calibrate' }).then(
    (r) => (r as CalibrationResult).inputLatencyFrames,
    (err: Error) => err.message,
  );
  if (typeof after !== 'number' || Math.abs(after - latency) > jitter) return `the round trip moved during the attempt: ${latency} frames before, ${after} after`;
  assert.equal(data.frames, 96000);
  const bytes = Buffer.from(data.int16Base64, 'base64');
  const loop = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  return { loop, latency, xruns, deviceXruns };
}

/** The engine's metronome as the device got it: click * gain, truncated to int16 (lib/dsp toInt16). */
function expectedClick(accent: boolean): Int16Array {
  const click = synthClick(RATE, accent);
  const gain = Math.fround(accent ? 0.5 : 0.5 * 0.7);
  return Int16Array.from(click, (x) => Math.trunc(Math.fround(Math.fround(x * gain) * 32767)));
}

/**
 * The loop holds the bar's four clicks at the beats, each sample within 1 of what the metronome played
 * (the device's conversion rounds); `jitter`: the clicks may sit that many frames early or late, all by
 * the same amount (a round trip measured a frame off).
 */
export function checkBarOfClicks(loop: Int16Array, jitter = 0): void {
  const failures: string[] = [];
  for (let shift = 0; shift <= jitter; shift = shift > 0 ? -shift : 1 - shift) {
    try {
      checkShifted(loop, shift);
      return;
    } catch (err) {
      failures.push(`shifted ${shift}: ${(err as Error).message}`);
    }
    if (jitter === 0) break;
  }
  assert.fail(failures.join('; '));
}

function checkShifted(loop: Int16Array, shift: number): void {
  const accent = expectedClick(true);
  const normal = expectedClick(false);
  const clickFrames = accent.length / 2;
  const frames = loop.length / 2;
  let maxOff = 0;
  for (let q = 0; q < frames; q++) {
    const p = (q + shift + frames) % frames;
    const beat = Math.floor(q / 24000);
    const k = q - beat * 24000;
    const want = k < clickFrames ? (beat === 0 ? accent : normal)[k * 2] : 0;
    for (const ch of [0, 1]) {
      const got = loop[p * 2 + ch];
      if (Math.abs(got - want) > 1) {
        assert.fail(`loop frame ${p} (beat ${beat}, +${k}) channel ${ch}: ${got}, the metronome played ${want}`);
      }
      maxOff = Math.max(maxOff, Math.abs(got - want));
    }
  }
  assert.ok(maxOff <= 1);
}
