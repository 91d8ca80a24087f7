import { strict as assert } from 'assert';
import * as fs from 'fs';
import { InputError } from '../../lib/engine/commands';
import { MidiMapper, parseBindings } from '../../lib/midi/mapping';
import { parseMidi } from '../../lib/midi/messages';
import { MIDI_INSTALL_HINT, loadMidiPorts } from '../../lib/midi/ports';

const ev = (bytes: number[]) => {
  const e = parseMidi(bytes);
  assert.ok(e, JSON.stringify(bytes));
  return e;
};

describe('midi mapping', () => {
  const bindings = parseBindings([
    { type: 'note', channel: 0, number: 60, command: 'toggle', track: 1 },
    { type: 'note', channel: 10, number: 36, command: 'undo', track: 2 },
    { type: 'cc', channel: 1, number: 7, command: 'volume', track: 2 },
    { type: 'cc', channel: 1, number: 10, command: 'pan', track: 2 },
    { type: 'cc', channel: 1, number: 20, command: 'bpm', range: [60, 187] },
    { type: 'cc', channel: 0, number: 64, command: 'record', track: 3 },
    { type: 'program', channel: 0, number: 2, command: 'metronome', value: false },
  ], 4);

  it('notes and program changes do their commands; channel 0 is any channel', () => {
    const m = new MidiMapper(bindings);
    assert.deepEqual(m.handle(ev([0x90, 60, 90])).commands, [{ command: 'toggle', track: 1 }]);
    assert.deepEqual(m.handle(ev([0x95, 60, 1])).commands, [{ command: 'toggle', track: 1 }]);
    assert.deepEqual(m.handle(ev([0x99, 36, 100])).commands, [{ command: 'undo', track: 2 }]);
    assert.deepEqual(m.handle(ev([0x90, 36, 100])).commands, []);
    assert.deepEqual(m.handle(ev([0x80, 60, 0])).commands, []);
    assert.deepEqual(m.handle(ev([0xc0, 2])).commands, [{ command: 'metronome', track: 0, value: false }]);
  });

  it('a CC sets a value over its range; an action CC fires on the press edge only', () => {
    const m = new MidiMapper(bindings);
    assert.deepEqual(m.handle(ev([0xb0, 7, 127])).commands, [{ command: 'volume', track: 2, value: 1 }]);
    assert.deepEqual(m.handle(ev([0xb0, 10, 0])).commands, [{ command: 'pan', track: 2, value: -1 }]);
    assert.deepEqual(m.handle(ev([0xb0, 20, 127])).commands, [{ command: 'bpm', track: 0, value: 187 }]);
    assert.deepEqual(m.handle(ev([0xb0, 20, 0])).commands, [{ command: 'bpm', track: 0, value: 60 }]);
    const presses = [0, 127, 127, 100, 0, 64, 30, 90].map((v) => m.handle(ev([0xb3, 64, v])).commands.length);
    assert.deepEqual(presses, [0, 1, 0, 0, 0, 1, 0, 1]);
  });

  it('learn binds the next note or CC, replacing a binding of that message, and does nothing else', () => {
    const m = new MidiMapper(bindings);
    m.learn({ command: 'clear', track: 1 });
    const r = m.handle(ev([0x90, 60, 100]));
    assert.deepEqual(r, { commands: [], learned: { type: 'note', channel: 1, number: 60, command: 'clear', track: 1 } });
    assert.equal(m.isLearning, false);
    assert.deepEqual(m.handle(ev([0x90, 60, 100])).commands, [{ command: 'toggle', track: 1 }, { command: 'clear', track: 1 }]);
    m.learn({ command: 'stop', track: 1 });
    m.handle(ev([0x90, 60, 100]));
    assert.deepEqual(m.handle(ev([0x90, 60, 100])).commands, [{ command: 'toggle', track: 1 }, { command: 'stop', track: 1 }]);
    m.learn({ command: 'stop', track: 1 });
    m.cancelLearn();
    assert.deepEqual(m.handle(ev([0xf8])), { commands: [] });
  });

  it('bad bindings are InputErrors naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{}, /bindings: must be an array/],
      [[null], /bindings\[0\]: must be an object/],
      [[{ type: 'sysex', number: 1, command: 'record', track: 1 }], /bindings\[0\]\.type/],
      [[{ type: 'note', number: 128, command: 'record', track: 1 }], /bindings\[0\]\.number/],
      [[{ type: 'note', number: 1, channel: 17, command: 'record', track: 1 }], /bindings\[0\]\.channel/],
      [[{ type: 'note', number: 1, command: 'explode', track: 1 }], /bindings\[0\]\.command/],
      [[{ type: 'note', number: 1, command: 'record', track: 9 }], /bindings\[0\]\.track/],
      [[{ type: 'note', number: 1, command: 'record' }], /bindings\[0\]\.track/],
      [[{ type: 'note', number: 1, command: 'volume', track: 1, value: 7 }], /bindings\[0\]\.value/],
      [[{ type: 'note', number: 1, command: 'volume', track: 1, range: [0, 1] }], /bindings\[0\]\.range/],
      [[{ type: 'cc', number: 1, command: 'pan', track: 1, range: [0, 5] }], /bindings\[0\]\.range\[1\]/],
      [[{ type: 'note', number: 1, command: 'record', track: 1, colour: 'red' }], /bindings\[0\]\.colour/],
    ];
    for (const [raw, want] of cases) assert.throws(() => parseBindings(raw, 4), (e: Error) => e instanceof InputError && want.test(e.message), JSON.stringify(raw));
  });
});

describe('midi ports', () => {
  it('without an ALSA sequencer, loading the ports says why instead of throwing', function () {
    if (fs.existsSync('/dev/snd/seq')) this.skip();
    const r = loadMidiPorts();
    assert.ok('error' in r && r.error.startsWith(MIDI_INSTALL_HINT), JSON.stringify(r));
  });
});
