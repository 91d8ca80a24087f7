// Multi-channel routing on real PortAudio streams: the engine host opens 4 channels each way on the
// 4-channel PulseAudio null sink "loop4", whose monitor brings outputs 1-4 back on inputs 1-4. The click
// goes to bus 2 only (outputs 3-4) and comes back on inputs 3-4 only; a track recording input 3 holds
// it, a track recording input 1 holds silence (docs/routing.md). Start the sink with
// test/audio/start-pulse-null.sh; LOOPSTATION_REQUIRE_AUDIO=1 turns a skip into a failure.

import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import { ForkedClient } from '../../lib/io/forked-client';
import type { CalibrationResult, HostEvent } from '../../lib/io/protocol';
import { nextEvent, testConfig } from '../io/harness';
import { pulseUnavailableReason, requireAudio, runChild } from './harness';

const SINK = 'loop4';
type Levels = Extract<HostEvent, { type: 'levels' }>;

/** The env for a host on the 4-channel sink through ALSA's "pulse" device. */
function sink4Env(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PULSE_SINK: SINK, PULSE_SOURCE: `${SINK}.monitor` };
  delete env.ALSA_CONFIG_PATH;
  return env;
}

function sink4UnavailableReason(): string | undefined {
  const why = pulseUnavailableReason();
  if (why !== undefined) return why;
  const sinks = execFileSync('pactl', ['list', 'short', 'sinks'], { encoding: 'utf8', stdio: 'pipe', timeout: 5000 });
  const line = sinks.split('\n').find((l) => l.split('\t')[1] === SINK);
  if (!line) return `PulseAudio runs but has no sink "${SINK}" (run test/audio/start-pulse-null.sh)`;
  return /\b4ch\b/.test(line) ? undefined : `the sink "${SINK}" is not 4 channels: ${line}`;
}

describe('audio: routing on a 4-channel PulseAudio null sink', function () {
  this.timeout(60000);
  let client: ForkedClient | undefined;
  afterEach(async () => {
    await client?.stop();
    client = undefined;
  });

  before(async function () {
    requireAudio(this, sink4UnavailableReason());
    const run = await runChild({ job: 'devices' }, { env: sink4Env() });
    requireAudio(this, run.reply.ok ? undefined : `${run.reply.name}: ${run.reply.error}`);
  });

  // the default path (the callback bridge where it is built), and naudiodon's stream path
  for (const audioPath of ['default path', 'naudiodon'] as const) {
    it(`${audioPath}: the click on bus 2 comes back on inputs 3-4 only; a track on input 3 records it, a track on input 1 silence`, async () => {
      const env = audioPath === 'naudiodon' ? { ...sink4Env(), LOOPSTATION_AUDIO_PATH: 'naudiodon' } : sink4Env();
      client = new ForkedClient(
        testConfig({
          backend: 'portaudio', inputDevice: 'pulse', outputDevice: 'pulse', inputChannels: 4, outputChannels: 4,
          metronome: { enabled: false, volume: 0.8, countInBars: 0, sound: 'builtin' },
        }),
        { env },
      );
      const c = client;
      const events: HostEvent[] = [];
      c.on('event', (e: HostEvent) => events.push(e));
      const ready = await c.start();
      assert.equal(ready.backend, 'portaudio');
      // routing first, then the click: every click sounds on bus 2
      c.send({ type: 'command', command: 'monitor', track: 0, value: false });
      c.send({ type: 'command', command: 'metronomeBus', track: 0, value: 2 });
      c.send({ type: 'command', command: 'input', track: 1, value: '3' });
      c.send({ type: 'command', command: 'input', track: 2, value: '1' });
      c.send({ type: 'command', command: 'metronome', track: 0, value: true });
      const beat = (n: number) => nextEvent(c, 'beat', (e) => e.beat >= n, 20000);
      await beat(2);
      c.send({ type: 'command', command: 'record', track: 1 });
      c.send({ type: 'command', command: 'record', track: 2 });
      await beat(6);
      c.send({ type: 'command', command: 'play', track: 1 });
      c.send({ type: 'command', command: 'play', track: 2 });
      const played = await nextEvent(c, 'state', (e) => e.track === 1 && e.state === 'playing', 20000);
      await beat(10);

      const levels = events.filter((e): e is Levels => e.type === 'levels');
      assert.ok(levels.every((l) => l.channels?.length === 4 && l.tracks?.length === 2), 'levels carry 4 input channels and 2 tracks');
      // until track 1 plays (on bus 1, so on inputs 1-2 after the round trip), only the click sounds: on 3-4
      const before = levels.filter((l) => (l.frame ?? 0) < played.frame);
      const peak = (ls: Levels[], c: number) => Math.max(...ls.map((l) => l.channels![c]));
      assert.ok(peak(before, 2) > 0.1 && peak(before, 3) > 0.1, `the click on inputs 3-4: ${peak(before, 2)}, ${peak(before, 3)}`);
      assert.equal(peak(before, 0), 0, 'input 1 is silent');
      assert.equal(peak(before, 1), 0, 'input 2 is silent');
      const after = levels.filter((l) => (l.frame ?? 0) > played.frame);
      const trackPeak = (t: number) => Math.max(...after.map((l) => Math.max(...l.tracks![t].peak)));
      assert.ok(trackPeak(0) > 0.1, `track 1 (input 3) plays the click it recorded: peak ${trackPeak(0)}`);
      assert.equal(trackPeak(1), 0, 'track 2 (input 1) recorded silence');
      const states = events.filter((e) => e.type === 'state' && e.track === 2 && e.state === 'playing');
      assert.equal(states.length, 1, 'track 2 recorded a loop');
      const errors = events.filter((e) => e.type === 'error' && !/stream path/.test(e.message));
      assert.deepEqual(errors, []);
    });
  }

  it('calibrates on 4 channels: the clicks go out on every output and come back on the inputs', async () => {
    let lastProblem = '';
    // an xrun during a measurement moves the round trip: such an attempt is run again, as on stereo
    for (let attempt = 1; attempt <= 3; attempt++) {
      client = new ForkedClient(
        testConfig({
          backend: 'portaudio', inputDevice: 'pulse', outputDevice: 'pulse', inputChannels: 4, outputChannels: 4,
          metronome: { enabled: false, volume: 0, countInBars: 0, sound: 'builtin' },
        }),
        { env: sink4Env() },
      );
      const c = client;
      let xruns = 0;
      c.on('event', (e: HostEvent) => {
        if (e.type === 'xrun') xruns++;
      });
      await c.start();
      const outcome = await c.request({ type: 'calibrate' }).then(
        (r) => r as CalibrationResult,
        (err: Error) => err.message,
      );
      if (xruns > 0) {
        lastProblem = `${xruns} xruns during attempt ${attempt}`;
        await c.stop();
        client = undefined;
        continue;
      }
      if (typeof outcome === 'string') assert.fail(`calibration failed with no xrun: ${outcome}`);
      assert.ok(outcome.inputLatencyFrames > 0 && outcome.inputLatencyFrames < 24000, `round trip ${outcome.inputLatencyFrames} frames`);
      assert.ok(outcome.matched >= 6 && outcome.clicks === 8, `${outcome.matched}/${outcome.clicks} clicks`);
      assert.equal(outcome.applied, true);
      return;
    }
    assert.fail(`no attempt ran clean; the last: ${lastProblem}`);
  });
});
