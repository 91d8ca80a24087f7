// The engine host on real PortAudio streams to the PulseAudio null sink "loop" (paced like a card),
// looped back through its monitor source: device validation, the loopback calibration, a recording
// made through the real streams and found in the loop at the calibrated offset, and `loopstation live`.
// Start the sink with test/audio/start-pulse-null.sh; LOOPSTATION_REQUIRE_AUDIO=1 turns a skip into a failure.

import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import type { DeviceList, HostStatus } from '../../lib/io/client';
import { ForkedClient } from '../../lib/io/forked-client';
import type { CalibrationResult, HostEvent } from '../../lib/io/protocol';
import { nextEvent, testConfig } from '../io/harness';
import { LiveRun } from '../io/live-cli';
import { pulseEnv, pulseUnavailableReason, requireAudio, resultOf, runChild } from './harness';
import { checkBarOfClicks, recordMetronomeBar } from './metronome-bar';
import type { DevicesResult } from './stream-child';

const RATE = 48000;
const pulseConfig = (overrides: Parameters<typeof testConfig>[0] = {}) =>
  testConfig({ backend: 'portaudio', inputDevice: 'pulse', outputDevice: 'pulse', ...overrides });

/**
 * Through the bridge the sink gets float32 and PulseAudio converts it to its s16 format; the measured
 * round trip then moves by one frame between measurements (1795, 1796 here, every attempt), while on
 * JACK, where nothing converts, it does not move at all (bridge.test.ts checks that one exactly).
 */
const PULSE_ROUND_TRIP_JITTER = 1;

describe('audio: engine host on the PulseAudio null sink', function () {
  this.timeout(90000);
  const clients: ForkedClient[] = [];
  const client = (config: ReturnType<typeof testConfig>) => {
    const c = new ForkedClient(config, { env: pulseEnv() });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  before(async function () {
    requireAudio(this, pulseUnavailableReason());
    const run = await runChild({ job: 'devices' }, { env: pulseEnv() });
    requireAudio(this, run.reply.ok ? undefined : `${run.reply.name}: ${run.reply.error}`);
    const names = resultOf<DevicesResult>(run).devices.map((d) => d.name);
    requireAudio(this, names.includes('pulse') ? undefined : `no ALSA "pulse" device (install libasound2-plugins); devices: ${names.join(', ')}`);
  });

  it('runs on the named device and answers the devices request', async () => {
    const c = client(pulseConfig());
    const ready = await c.start();
    assert.equal(ready.backend, 'portaudio');
    assert.equal(ready.inputDevice, 'pulse');
    assert.equal(ready.outputDevice, 'pulse');
    const { devices } = (await c.request({ type: 'devices' })) as DeviceList;
    const pulse = devices.find((d) => d.name === 'pulse');
    assert.ok(pulse, `devices: ${devices.map((d) => d.name).join(', ')}`);
    assert.equal(pulse.hostAPI, 'ALSA');
    assert.ok(pulse.maxInputChannels >= 2 && pulse.maxOutputChannels >= 2);
  });

  it('refuses a device that is not there, listing the devices, with portaudio and with auto: never a fallback', async () => {
    for (const backend of ['portaudio', 'auto'] as const) {
      const c = client(pulseConfig({ backend, inputDevice: 'USB Audio CODEC' }));
      await assert.rejects(c.start(), (err: Error) => {
        assert.match(err.message, /^no input device with 2 channels named "USB Audio CODEC"; available: \d+ "pulse" \(ALSA, \d+ in\/\d+ out\)/);
        return true;
      });
    }
    const byId = client(pulseConfig({ outputDevice: '99' }));
    await assert.rejects(byId.start(), /^Error: no device with id 99; available: .*"pulse"/);
  });

  // A click lost to an xrun is a fact of a loaded machine, not of the calibration: an attempt that saw
  // an xrun does not count and is repeated with a fresh host, up to three times. A clean attempt must
  // find the calibration's own quorum (3/4 of its clicks) at a round trip under the pattern's maximum.
  it('measures the round trip with its own click pattern through the monitor source', async () => {
    let lastProblem = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      const c = client(pulseConfig());
      await c.start();
      let xruns = 0;
      c.on('event', (e: HostEvent) => {
        if (e.type === 'xrun') xruns++;
      });
      const outcome = await c.request({ type: 'calibrate' }).then(
        (r) => r as CalibrationResult,
        (err: Error) => err.message,
      );
      if (xruns > 0) {
        lastProblem = `${xruns} xruns during attempt ${attempt}: ${typeof outcome === 'string' ? outcome : `${outcome.matched}/${outcome.clicks} clicks`}`;
        await Promise.all(clients.splice(0).map((x) => x.stop()));
        continue;
      }
      if (typeof outcome === 'string') assert.fail(`calibration failed with no xrun: ${outcome}`);
      const r = outcome;
      assert.ok(r.inputLatencyFrames > 0 && r.inputLatencyFrames < RATE / 2, `round trip ${r.inputLatencyFrames} frames`);
      assert.ok(r.matched >= Math.ceil((r.clicks * 3) / 4) && r.clicks === 8, `${r.matched}/${r.clicks} clicks`);
      assert.equal(r.applied, true);
      console.log(`      round trip ${r.inputLatencyFrames} frames (${((r.inputLatencyFrames * 1000) / RATE).toFixed(1)} ms), ${r.matched}/8 clicks (attempt ${attempt})`);
      return;
    }
    assert.fail(`no attempt ran clean; the last: ${lastProblem}`);
  });

  // The known signal is the metronome: with monitoring off, the input carries only what the output
  // played, so a one-bar loop recorded at the calibrated latency must hold the bar's clicks, sample for
  // sample, at the beat positions. The round trip holds only while nothing is lost: an xrun, or the
  // sink stretching its own buffer, moves it (docs/audio.md). So the host calibrates before and
  // after the recording; an attempt where the two differ, or that saw an xrun, does not count and is
  // repeated with a fresh host, up to five times.
  it('records the metronome through the real streams and finds its clicks in the loop at the calibrated offset', async () => {
    let lastProblem = '';
    for (let attempt = 1; attempt <= 5; attempt++) {
      const outcome = await recordMetronomeBar(() => client(pulseConfig({ quantize: 'bar', calibrateOnStart: true })), PULSE_ROUND_TRIP_JITTER);
      if (typeof outcome === 'string') {
        lastProblem = outcome;
      } else if (outcome.xruns + outcome.deviceXruns === 0) {
        checkBarOfClicks(outcome.loop, PULSE_ROUND_TRIP_JITTER);
        console.log(`      round trip ${outcome.latency} frames; the loop holds the bar's 4 clicks bit-exact (attempt ${attempt})`);
        return;
      } else {
        lastProblem = `${outcome.xruns + outcome.deviceXruns} xruns during attempt ${attempt}`;
      }
      await Promise.all(clients.splice(0).map((c) => c.stop()));
    }
    assert.fail(`no attempt ran clean; the last: ${lastProblem}`);
  });

  // A second null sink, suspended under a running host like an interface that stops taking audio, then
  // resumed: the host reports the loss, retries with backoff, and carries on with the same loops.
  // (Unloading the sink would be closer to an unplug, but PulseAudio then sometimes moves the stream to
  // another sink instead of failing it: docs/audio.md.)
  it('survives the device stopping and coming back, keeping its loops', async () => {
    const sink = 'loopstation_lossy';
    const module = execFileSync('pactl', ['load-module', 'module-null-sink', `sink_name=${sink}`, 'rate=48000', 'format=s16le', 'channels=2'], { encoding: 'utf8' }).trim();
    try {
      const c = new ForkedClient(pulseConfig(), { env: { ...pulseEnv(), PULSE_SINK: sink, PULSE_SOURCE: `${sink}.monitor` } });
      clients.push(c);
      await c.start();
      const recording = nextEvent(c, 'state', (e) => e.state === 'recording');
      c.send({ type: 'command', command: 'record', track: 1 });
      const start = await recording;
      const playing = nextEvent(c, 'state', (e) => e.state === 'playing');
      c.send({ type: 'command', command: 'play', track: 1, frame: start.frame + 48000 });
      await playing;
      const lost = nextEvent(c, 'error', (e) => e.message.startsWith('audio device lost: '), 15000);
      execFileSync('pactl', ['suspend-sink', sink, '1']);
      const loss = await lost;
      // the bridge notices a callback that stopped coming; naudiodon's stream path, a side that stopped
      assert.match(loss.message, /^audio device lost: the (input |output )?device "pulse" (delivered nothing|took no audio|ran no callback) for \d+ ms: it was unplugged or stopped; reopening \(the loops are kept\)$/);
      // a reopen while the sink is still suspended fails (at open, or by running no callback again)
      const failedReopen = nextEvent(c, 'error', (e) => /^audio device (still unavailable \(attempt \d+\)|lost): /.test(e.message), 30000);
      const back = nextEvent(c, 'error', (e) => e.message.startsWith('audio device back: '), 30000);
      console.log(`      then: ${(await failedReopen).message}`);
      execFileSync('pactl', ['suspend-sink', sink, '0']);
      assert.equal((await back).message, 'audio device back: pulse -> pulse');
      const status = (await c.request({ type: 'status' })) as HostStatus;
      assert.equal(status.tracks[0].state, 'playing');
      assert.equal(status.tracks[0].frames, 48000);
      await nextEvent(c, 'levels', (e) => e.output[0] > 0, 10000);
      console.log(`      ${loss.message}`);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.stop()));
      execFileSync('pactl', ['unload-module', module]);
    }
  });

  it('plays `loopstation live` on the sink: calibrates, records and plays from keys, quits cleanly', async () => {
    const r = new LiveRun(['--device', 'pulse', '--bpm', '120', '--quantize', 'off', '--tracks', '2'], pulseEnv());
    try {
      const running = await r.waitFor(/^running: portaudio pulse -> pulse, 48000 Hz, 256 frames, input latency \d+ frames$/, 30000, true);
      assert.ok(!r.lines.some((l) => /calibration failed/.test(l)) || /input latency 0 frames/.test(running));
      r.type('1');
      await r.waitFor(/^track 1: recording$/);
      r.type('1');
      await r.waitFor(/^track 1: playing \(/);
      const status = await r.waitFor(/\| bar /);
      assert.match(status, /^>1:P {3}2:- {3}\| bar \d+ beat [1-4]\/4 \| 120 bpm click on \| in \[[# ]{8}\] out \[[# ]{8}\] \| xruns \d+$/);
      r.type('q');
      await r.waitFor(/^bye$/, 15000, true);
      assert.equal(await r.exited, 0);
    } finally {
      r.kill();
    }
  });
});
