// The engine host through the callback audio bridge (native/bridge) on real PortAudio devices:
//   - the ALSA null device (no card, no daemon): a device with no clock; the bridge paces itself;
//   - a private JACK server on the dummy backend (test/audio/start-jack-dummy.sh): the looper joins the
//     graph as "loopstation", and its own output wired to its input gives a round trip JACK fixes exactly;
//   - the PulseAudio null sink is covered by host-pulse.test.ts, whose host takes the bridge too.
// LOOPSTATION_REQUIRE_AUDIO=1 turns every skip into a failure.

import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import { performance } from 'perf_hooks';
import { loadBridge } from '../../lib/io/bridge';
import type { DeviceList, HostStatus } from '../../lib/io/client';
import { ForkedClient } from '../../lib/io/forked-client';
import type { CalibrationResult, HostEvent } from '../../lib/io/protocol';
import { nextEvent, testConfig } from '../io/harness';
import { AlsaNullSetup, JACK_SERVER, jackEnv, jackUnavailableReason, requireAudio } from './harness';
import { checkBarOfClicks, recordMetronomeBar } from './metronome-bar';

const RATE = 48000;
const BLOCK = 256;

function bridgeMissing(): string | undefined {
  const r = loadBridge();
  return 'reason' in r ? `${r.reason} (npx loopstation build-audio)` : undefined;
}

function jack(args: string[]): string {
  return execFileSync(args[0], ['-s', JACK_SERVER, ...args.slice(1)], { encoding: 'utf8', env: jackEnv(), stdio: ['ignore', 'pipe', 'ignore'] });
}

/** The looper's outputs wired to its own inputs (the graph carries them one period later), the system's capture unwired. */
function wireLoopback(): void {
  for (const ch of [0, 1]) {
    try {
      jack(['jack_disconnect', `system:capture_${ch + 1}`, `loopstation:in_${ch}`]);
    } catch {
      // not wired (PortAudio wires the system ports at start): nothing to undo
    }
    try {
      jack(['jack_connect', `loopstation:out_${ch}`, `loopstation:in_${ch}`]);
    } catch {
      // already wired
    }
  }
}

async function wireWhenPortsAppear(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (jack(['jack_lsp']).split('\n').includes('loopstation:in_1')) {
      wireLoopback();
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('audio: the callback bridge on real devices', function () {
  this.timeout(60000);
  const clients: ForkedClient[] = [];
  const start = async (config: Parameters<typeof testConfig>[0], env: NodeJS.ProcessEnv) => {
    const c = new ForkedClient(testConfig({ backend: 'portaudio', ...config }), { env });
    clients.push(c);
    const events: HostEvent[] = [];
    c.on('event', (e: HostEvent) => events.push(e));
    const ready = await c.start();
    return { c, ready, events };
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  before(function () {
    requireAudio(this, bridgeMissing());
  });

  describe('on the ALSA null device (a device with no clock)', () => {
    let setup: AlsaNullSetup;
    before(() => {
      setup = new AlsaNullSetup(BLOCK);
    });
    after(() => setup?.dispose());

    it('runs the engine at real time: never free, as the blocking stream path did on this device', async () => {
      const t0 = performance.now();
      const { c, ready } = await start({}, setup.env);
      assert.equal(ready.binding, 'bridge');
      // past the quarter second a device may run ahead before the bridge paces it
      await nextEvent(c, 'levels', (e) => (e.frame ?? 0) > 0.25 * RATE);
      const { frame } = (await c.request({ type: 'status' })) as HostStatus;
      const wallFrames = ((performance.now() - t0) / 1000) * RATE;
      // free-running, the null device took 50x real time through the stream path; through the bridge the
      // engine can be ahead of the wall clock only by the quarter second a device may run before the
      // bridge calls it clock-less and paces it (bridge-ring.test.ts tests that pacing on its own)
      assert.ok(frame <= wallFrames + 0.25 * RATE + 4 * BLOCK, `the engine ran ${frame} frames in ${Math.round(wallFrames)} frames of wall time`);
      assert.ok(frame > 0.25 * RATE, 'the engine runs');
    });

    it('plays what the engine renders: the output, on a stream of its own, is paced too and owes the engine nothing', async () => {
      // "default" is opened as two streams (one per direction); an output stream left to run free took
      // the ring as fast as the null device asked and the engine was "late" for every block after it
      const { c, ready, events } = await start({}, setup.env);
      assert.equal(ready.binding, 'bridge');
      const from = (await nextEvent(c, 'levels', (e) => (e.frame ?? 0) > 0.25 * RATE)).frame ?? 0;
      const to = (await nextEvent(c, 'levels', (e) => (e.frame ?? 0) > from + RATE, 10000)).frame ?? 0;
      const late = events.filter((e) => e.type === 'xrun' && e.source === 'host' && e.frame > from && e.frame <= to).length;
      const blocks = (to - from) / BLOCK;
      // a loaded machine may make the engine late now and then; the fault made it late every block
      assert.ok(late < blocks / 10, `${late} late-engine xruns in ${blocks} blocks`);
    });
  });

  describe(`on a JACK server (dummy backend, ${RATE} Hz, ${BLOCK} frames)`, () => {
    before(function () {
      requireAudio(this, jackUnavailableReason());
    });

    it('lists JACK devices with their host API and joins the graph as "loopstation" with jack:system', async () => {
      const { c, ready } = await start({ inputDevice: 'jack:system', outputDevice: 'jack:system' }, jackEnv());
      assert.equal(ready.binding, 'bridge');
      assert.equal(ready.inputDevice, 'system');
      assert.equal(ready.latency?.slackFrames, 2 * BLOCK);
      const { devices } = (await c.request({ type: 'devices' })) as DeviceList;
      const system = devices.find((d) => d.name === 'system');
      assert.equal(system?.hostAPI, 'JACK Audio Connection Kit');
      const ports = jack(['jack_lsp']).split('\n');
      for (const p of ['loopstation:in_0', 'loopstation:in_1', 'loopstation:out_0', 'loopstation:out_1']) assert.ok(ports.includes(p), `${p} in ${ports.join(', ')}`);
      const levels = await nextEvent(c, 'levels', (e) => e.output[0] > 0.1, 10000);
      assert.ok(levels.output[0] > 0.1, 'the metronome plays into the graph');
    });

    it('measures the round trip of its own output wired to its input: the stream latency it reports', async () => {
      const { c, ready } = await start({ inputDevice: 'jack:system', outputDevice: 'jack:system', metronome: { enabled: false, volume: 0, countInBars: 0, sound: 'builtin' } }, jackEnv());
      wireLoopback();
      const r = (await c.request({ type: 'calibrate' })) as CalibrationResult;
      // PortAudio's JACK latencies (the ports' latency ranges) plus the bridge's slack: the graph's own
      // delay from out to in is in there, and nothing else should be
      const { slackFrames, inputSeconds, outputSeconds, totalFrames: expected } = ready.latency!;
      console.log(`      JACK round trip ${r.inputLatencyFrames} frames (reported: in ${inputSeconds * RATE} + out ${outputSeconds * RATE} + slack ${slackFrames} = ${expected}), ${r.matched}/${r.clicks} clicks`);
      assert.ok(r.matched >= 6, `${r.matched}/${r.clicks} clicks found`);
      // an xrun during the measurement moves the round trip by whole periods; the calibration retries those
      assert.ok(Math.abs(r.inputLatencyFrames - expected) <= BLOCK, `round trip ${r.inputLatencyFrames}, expected ${expected} within a period`);
    });

    it('records a bar of its metronome through the graph and finds the clicks in the loop at the calibrated offset, exactly', async () => {
      // the host calibrates a second after its stream starts: the loopback is wired as soon as its ports appear
      let lastProblem = '';
      for (let attempt = 1; attempt <= 3; attempt++) {
        const outcome = await recordMetronomeBar(() => {
          const c = new ForkedClient(testConfig({ backend: 'portaudio', inputDevice: 'jack:system', outputDevice: 'jack:system', quantize: 'bar', calibrateOnStart: true }), { env: jackEnv() });
          clients.push(c);
          void wireWhenPortsAppear();
          return c;
        });
        if (typeof outcome === 'string') lastProblem = outcome;
        // JACK's dummy backend reports a late cycle as an xrun but loses no sample (the round trip, checked
        // before and after, shows it): only audio the host lost spoils the attempt
        else if (outcome.xruns > 0) lastProblem = `${outcome.xruns} host xruns during attempt ${attempt}`;
        else {
          checkBarOfClicks(outcome.loop);
          console.log(`      round trip ${outcome.latency} frames; the loop holds the bar's 4 clicks (attempt ${attempt})`);
          return;
        }
        await Promise.all(clients.splice(0).map((c) => c.stop()));
      }
      assert.fail(`no attempt ran clean; the last: ${lastProblem}`);
    });
  });
});
