// Device resolution and stdout parsing: pure functions over a device list shaped like a Raspberry Pi
// with a USB interface (the real-device behaviour is in alsa-null.test.ts and pulse.test.ts).

import { strict as assert } from 'assert';
import { AudioDevice, DeviceNotFoundError, parseNaudiodonLine, resolveDevice } from '../../lib/io/portaudio';

const device = (id: number, name: string, inputs: number, outputs: number, defaults = false, hostAPI = 'ALSA'): AudioDevice => ({
  id,
  name,
  spec: name,
  hostAPI,
  maxInputChannels: inputs,
  maxOutputChannels: outputs,
  defaultSampleRate: 48000,
  isDefaultInput: defaults,
  isDefaultOutput: defaults,
});

const DEVICES: AudioDevice[] = [
  device(0, 'bcm2835 Headphones: - (hw:0,0)', 0, 8),
  device(1, 'USB Audio CODEC: - (hw:1,0)', 2, 2),
  device(2, 'usb audio codec', 1, 0),
  device(3, 'sysdefault', 128, 128),
  device(4, 'pulse', 32, 32),
  device(5, 'default', 32, 32, true),
];

describe('audio: device resolution', () => {
  it('takes an exact name first', () => {
    assert.equal(resolveDevice('pulse', 'output', 2, DEVICES).id, 4);
  });

  it('then a case-insensitive name, then a case-insensitive substring', () => {
    assert.equal(resolveDevice('PULSE', 'input', 2, DEVICES).id, 4);
    assert.equal(resolveDevice('headphones', 'output', 2, DEVICES).id, 0);
    assert.equal(resolveDevice('codec: - (hw:1', 'input', 2, DEVICES).id, 1);
  });

  it('counts only devices with enough channels in that direction', () => {
    // 'usb audio codec' (id 2) is mono and input-only, so 'USB Audio' names just one stereo input.
    assert.equal(resolveDevice('USB Audio', 'input', 2, DEVICES).id, 1);
    assert.equal(resolveDevice('usb audio codec', 'input', 1, DEVICES).id, 2);
  });

  it('refuses an ambiguous substring, listing the candidates', () => {
    assert.throws(
      () => resolveDevice('usb', 'input', 1, DEVICES),
      /"usb" matches 2 input devices, name one; available: 1 "USB Audio CODEC: - \(hw:1,0\)" \(ALSA, 2 in\/2 out\), 2 "usb audio codec"/,
    );
  });

  it('validates a numeric id and its channels, never falling back', () => {
    assert.equal(resolveDevice(1, 'output', 2, DEVICES).name, 'USB Audio CODEC: - (hw:1,0)');
    assert.throws(() => resolveDevice(9, 'output', 2, DEVICES), (err: Error) => {
      assert.ok(err instanceof DeviceNotFoundError);
      assert.match(err.message, /^no device with id 9; available: 0 "bcm2835/);
      assert.equal(err.available.length, 5);
      return true;
    });
    assert.throws(() => resolveDevice(2, 'output', 2, DEVICES), /2 "usb audio codec" \(ALSA, 1 in\/0 out\) is not an output device/);
  });

  it('a channel count the device lacks is an error naming the device and its counts', () => {
    assert.throws(() => resolveDevice('USB Audio CODEC: - (hw:1,0)', 'input', 4, DEVICES),
      /^DeviceNotFoundError: 1 "USB Audio CODEC: - \(hw:1,0\)" \(ALSA, 2 in\/2 out\) is not an input device with 4 channels: it has 2 input channels; available: /);
    assert.throws(() => resolveDevice(1, 'output', 6, DEVICES), /\(ALSA, 2 in\/2 out\) is not an output device with 6 channels: it has 2 output channels/);
    assert.throws(() => resolveDevice(undefined, 'input', 64, DEVICES), /^DeviceNotFoundError: 5 "default" \(ALSA, 32 in\/32 out\) is not an input device with 64 channels: it has 32 input channels/);
  });

  it('uses the default device when none is named', () => {
    assert.equal(resolveDevice(undefined, 'input', 2, DEVICES).id, 5);
    assert.equal(resolveDevice('', 'output', 2, DEVICES).id, 5);
    assert.throws(() => resolveDevice(undefined, 'input', 2, DEVICES.slice(0, 5)), /^DeviceNotFoundError: no default input device/);
  });

  it('takes a host API prefix ("jack:system") where a name exists under more than one API, and leaves ALSA colons alone', () => {
    const withJack = [...DEVICES, device(6, 'system', 2, 2, false, 'JACK Audio Connection Kit'), device(7, 'system', 2, 2, false, 'ALSA')];
    assert.equal(resolveDevice('jack:system', 'output', 2, withJack).id, 6);
    assert.equal(resolveDevice('JACK:system', 'input', 2, withJack).id, 6);
    assert.equal(resolveDevice('alsa:system', 'input', 2, withJack).id, 7);
    assert.throws(() => resolveDevice('system', 'input', 2, withJack), /"system" matches 2 input devices, name one/);
    // "USB Audio CODEC" starts no host API's name: the colon is part of the device name
    assert.equal(resolveDevice('USB Audio CODEC: - (hw:1,0)', 'input', 2, withJack).id, 1);
    assert.throws(() => resolveDevice('jack:pulse', 'output', 2, withJack), /no output device with 2 channels named "jack:pulse"/);
  });

  it('says there is nothing when there is nothing', () => {
    assert.throws(() => resolveDevice('pulse', 'input', 2, []), /no input device with 2 channels named "pulse"; available: none/);
  });
});

describe('audio: naudiodon stdout lines', () => {
  it('finds xruns and their flags', () => {
    assert.deepEqual(parseNaudiodonLine('AudioIO: portAudio status - output underflow '), {
      kind: 'xrun',
      flags: ['output underflow'],
    });
    assert.deepEqual(parseNaudiodonLine('AudioIO: portAudio status - input overflow output underflow '), {
      kind: 'xrun',
      flags: ['input overflow', 'output underflow'],
    });
  });

  it('leaves the rest alone', () => {
    assert.deepEqual(parseNaudiodonLine('Output device name is pulse'), { kind: 'other' });
    assert.deepEqual(parseNaudiodonLine('PortAudio V19.6.0-devel, revision unknown'), { kind: 'other' });
  });
});
