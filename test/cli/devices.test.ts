import { strict as assert } from 'assert';
import { PassThrough } from 'stream';
import { devicesCommand } from '../../lib/cli/devices';
import { listDevicesInChild, listingEnv, SLOW_LISTING_MS, SLOW_LISTING_NOTE } from '../../lib/io/device-listing';
import type { AudioDevice } from '../../lib/io/portaudio';

// `loopstation devices` with the listing faked: the child never starts a sound server, and a slow
// listing says what it waits for on stderr (stdout stays the list, or pure JSON). The timer is injected.

const DEVICE: AudioDevice = { id: 0, name: 'pulse', spec: 'pulse', hostAPI: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: 44100, isDefaultInput: true, isDefaultOutput: true };
type Listing = Awaited<ReturnType<typeof listDevicesInChild>>;
const listing = (devices: AudioDevice[]): Listing => ({ type: 'devices', ok: true, binding: 'naudiodon', devices });

function streams() {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = (s: PassThrough) => (s.read() ?? '').toString();
  return { out, err, text };
}

/** A timer the test fires by hand: records the delay asked for and whether it was cancelled. */
function manualTimer() {
  const t = { ms: -1, fire: () => undefined as void, cancelled: false };
  const after = (fn: () => void, ms: number) => {
    t.ms = ms;
    t.fire = fn;
    return () => {
      t.cancelled = true;
    };
  };
  return { t, after };
}

describe('cli: loopstation devices', () => {
  it('the listing child never starts a JACK server, and keeps the rest of the environment', () => {
    const env = listingEnv({ PATH: '/usr/bin', PULSE_SINK: 'loop' });
    assert.deepEqual(env, { PATH: '/usr/bin', PULSE_SINK: 'loop', JACK_NO_START_SERVER: '1' });
  });

  it('a listing that takes longer than the threshold says on stderr what it waits for; stdout stays JSON', async () => {
    const { out, err, text } = streams();
    const { t, after } = manualTimer();
    let answer: (v: Listing) => void = () => undefined;
    const pending = devicesCommand(['--json'], out, err, () => new Promise<Listing>((resolve) => (answer = resolve)), after);
    assert.equal(t.ms, SLOW_LISTING_MS);
    t.fire();
    assert.equal(text(err), SLOW_LISTING_NOTE);
    answer(listing([DEVICE]));
    assert.equal(await pending, 0);
    assert.deepEqual(JSON.parse(text(out)), [DEVICE]);
    assert.ok(t.cancelled);
  });

  it('a quick listing prints no note (the timer is cancelled), and a failed one cancels it too', async () => {
    const { out, err, text } = streams();
    const { t, after } = manualTimer();
    assert.equal(await devicesCommand([], out, err, async () => listing([]), after), 0);
    assert.ok(t.cancelled);
    assert.equal(text(err), '');
    assert.match(text(out), /^PortAudio \(naudiodon\) sees no devices\n/);

    const failing = manualTimer();
    await assert.rejects(devicesCommand([], out, err, () => Promise.reject(new Error('no binding')), failing.after), /no binding/);
    assert.ok(failing.t.cancelled);
  });
});
