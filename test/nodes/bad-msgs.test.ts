import { NodeType } from '../../lib/control/constants';
import { HostStatus } from '../../lib/io/client';
import { CountingFactory, assert, engineDef, engineUp, helper, hostStatus, loadWithFactory, nextError, nextMsg, nextStatus, userNode, wait } from './harness';

// Every bad msg to every node: done(err) with a text that names the field and what is accepted, a red
// ring, nothing sent to the engine, and the engine (with a recorded loop) as it was.

const HUGE_ARRAY = new Array(1_000_000).fill(1);
const HUGE_STRING = 'x'.repeat(1_000_000);
const RECORDER_ACCEPTS = 'accepted: record, overdub, play, stop, clear, undo, redo, toggle, mute, unmute, reverse, half, double, multiply, replace, oneshot, retrigger, pause, substitute, insert, addloop, deleteloop, "input" with msg.value (the input source), or a button level: 1/true (pressed), 0/false (released)';
const METRONOME_ACCEPTS = 'accepted: a bpm from 20 to 400, "start", "stop", "tap", true/false, or {bpm, beatsPerBar, volume, enabled, bus}';
const MIXER_ACCEPTS =
  'accepted: track/<1-4>/volume (0 to 2), track/<n>/pan (-1 to 1), track/<n>/mute (true/false), track/<n>/solo (true/false), ' +
  'track/<n>/inputGain (0 to 2), track/<n>/feedback (0 to 1), track/<n>/cue (an output bus, 0 = none), track/<n>/send (0 to 2), ' +
  'master/volume, monitor/volume, metronome/volume (0 to 2), metronome/bus, monitor/bus (an output bus), monitor/input (all, a channel or a pair like 1-2)';
const AUDIO_IN_ACCEPTS = 'accepted: true/false or "on"/"off" (monitor), a monitor volume from 0 to 2, or {monitor, volume, gain, input, bus}';
const AUDIO_OUT_ACCEPTS = 'accepted: a master volume from 0 to 2, {volume}, "export", {export: "name"} or {command: "save"|"load"|"list"|"delete"|"import"|"export", name}';

type Case = [description: string, msg: Record<string, unknown>, error: string];

const CASES: Record<string, Case[]> = {
  rec: [
    ['an unknown command', { payload: 'fly' }, `msg.payload: "fly" is not a loop recorder command; ${RECORDER_ACCEPTS}`],
    ['a command of another node', { payload: 'tap' }, `msg.payload: "tap" is not a loop recorder command; ${RECORDER_ACCEPTS}`],
    ['a number that is no level', { payload: 2 }, `msg.payload: 2 is not a command or a button level; ${RECORDER_ACCEPTS}`],
    ['a fraction', { payload: 0.5 }, `msg.payload: 0.5 is not a command or a button level; ${RECORDER_ACCEPTS}`],
    ['no payload', { topic: 'x' }, `msg.payload: missing; ${RECORDER_ACCEPTS}`],
    ['null', { payload: null }, `msg.payload: null is not a command or a button level; ${RECORDER_ACCEPTS}`],
    ['an object', { payload: { command: 'record' } }, `msg.payload: an object is not a command or a button level; ${RECORDER_ACCEPTS}`],
    ['a huge array', { payload: HUGE_ARRAY }, `msg.payload: an array of 1000000 is not a command or a button level; ${RECORDER_ACCEPTS}`],
    ['a huge string', { payload: HUGE_STRING }, `msg.payload: "${'x'.repeat(40)}..." is not a loop recorder command; ${RECORDER_ACCEPTS}`],
    ['a buffer', { payload: Buffer.from('record') }, `msg.payload: a buffer of 6 bytes is not a command or a button level; ${RECORDER_ACCEPTS}`],
  ],
  met: [
    ['bpm 0', { payload: 0 }, 'msg.payload (bpm): 0 is out of range; accepted: a number from 20 to 400'],
    ['bpm "fast"', { payload: 'fast' }, `msg.payload: "fast" is not a bpm or a metronome command; ${METRONOME_ACCEPTS}`],
    ['a negative bpm', { payload: -120 }, 'msg.payload (bpm): -120 is out of range; accepted: a number from 20 to 400'],
    ['a bpm too fast', { payload: '1000' }, 'msg.payload (bpm): 1000 is out of range; accepted: a number from 20 to 400'],
    ['NaN', { payload: NaN }, 'msg.payload (bpm): NaN is not a number; accepted: a number from 20 to 400'],
    ['bpm 0 in an object', { payload: { bpm: 0 } }, 'msg.payload.bpm: 0 is out of range; accepted: a number from 20 to 400'],
    ['bpm "fast" in an object', { payload: { bpm: 'fast' } }, 'msg.payload.bpm: "fast" is not a number; accepted: a number from 20 to 400'],
    ['a fractional bar', { payload: { beatsPerBar: 3.5 } }, 'msg.payload.beatsPerBar: 3.5 is out of range; accepted: an integer from 1 to 32'],
    ['a loud volume', { payload: { volume: 3 } }, 'msg.payload.volume: 3 is out of range; accepted: a number from 0 to 2'],
    ['enabled "maybe"', { payload: { enabled: 'maybe' } }, 'msg.payload.enabled: "maybe" is not on/off; accepted: true, false, 1, 0, "on", "off"'],
    ['a misspelt setting', { payload: { bmp: 120 } }, 'msg.payload.bmp: unknown setting; accepted: bpm, beatsPerBar, volume, enabled, bus'],
    ['one good and one bad setting (neither applies)', { payload: { bpm: 100, beatsPerBar: 0 } }, 'msg.payload.beatsPerBar: 0 is out of range; accepted: an integer from 1 to 32'],
    ['an empty object', { payload: {} }, 'msg.payload: an empty object sets nothing; accepted: bpm, beatsPerBar, volume, enabled, bus'],
    ['no payload', {}, `msg.payload: missing; ${METRONOME_ACCEPTS}`],
    ['a huge array', { payload: HUGE_ARRAY }, `msg.payload: an array of 1000000 is not a metronome command; ${METRONOME_ACCEPTS}`],
  ],
  mix: [
    ['a track out of range', { topic: 'track/9/volume', payload: 1 }, 'msg.topic (track): 9 is out of range; accepted: an integer from 1 to 4'],
    ['track 0', { topic: 'track/0/pan', payload: 0 }, 'msg.topic (track): 0 is out of range; accepted: an integer from 1 to 4'],
    ['a track that is no number', { topic: 'track/x/mute', payload: true }, 'msg.topic (track): "x" is not a number; accepted: an integer from 1 to 4'],
    ['a volume out of range', { topic: 'track/1/volume', payload: 5 }, 'msg.payload: 5 is out of range; accepted: a number from 0 to 2'],
    ['a volume that is no number', { topic: 'master/volume', payload: 'loud' }, 'msg.payload: "loud" is not a number; accepted: a number from 0 to 2'],
    ['a pan out of range', { topic: 'track/1/pan', payload: 2 }, 'msg.payload: 2 is out of range; accepted: a number from -1 to 1'],
    ['mute "maybe"', { topic: 'track/1/mute', payload: 'maybe' }, 'msg.payload: "maybe" is not on/off; accepted: true, false, 1, 0, "on", "off"'],
    ['an unknown control', { topic: 'track/1/echo', payload: 1 }, `msg.topic: "track/1/echo" is not a mixer control; ${MIXER_ACCEPTS}`],
    ['an unknown topic', { topic: 'volume', payload: 1 }, `msg.topic: "volume" is not a mixer control; ${MIXER_ACCEPTS}`],
    ['no topic', { payload: 1 }, `msg.topic: missing; ${MIXER_ACCEPTS}`],
    ['a number as topic', { topic: 42, payload: 1 }, `msg.topic: 42 is not a mixer control; ${MIXER_ACCEPTS}`],
    ['a huge array as value', { topic: 'monitor/volume', payload: HUGE_ARRAY }, 'msg.payload: an array of 1000000 is not a number; accepted: a number from 0 to 2'],
    ['a huge topic', { topic: HUGE_STRING, payload: 1 }, `msg.topic: "${'x'.repeat(40)}..." is not a mixer control; ${MIXER_ACCEPTS}`],
  ],
  in: [
    ['an unknown word', { payload: 'loud' }, `msg.payload: "loud" is not an audio in setting; ${AUDIO_IN_ACCEPTS}`],
    ['a volume out of range', { payload: 3 }, 'msg.payload (monitor volume): 3 is out of range; accepted: a number from 0 to 2'],
    ['an input gain above 2', { payload: { gain: 3 } }, 'msg.payload.gain: 3 is out of range; accepted: a number from 0 to 2'],
    ['an unknown setting', { payload: { treble: 2 } }, 'msg.payload.treble: unknown setting; accepted: monitor, volume, gain, input, bus'],
    ['monitor "maybe"', { payload: { monitor: 'maybe' } }, 'msg.payload.monitor: "maybe" is not on/off; accepted: true, false, 1, 0, "on", "off"'],
    ['null', { payload: null }, `msg.payload: null is not an audio in setting; ${AUDIO_IN_ACCEPTS}`],
    ['a huge array', { payload: HUGE_ARRAY }, `msg.payload: an array of 1000000 is not an audio in setting; ${AUDIO_IN_ACCEPTS}`],
  ],
  out: [
    ['a volume out of range', { payload: 5 }, 'msg.payload (master volume): 5 is out of range; accepted: a number from 0 to 2'],
    ['an unknown word', { payload: 'louder' }, `msg.payload: "louder" is not an audio out command; ${AUDIO_OUT_ACCEPTS}`],
    ['a volume that is no number', { payload: { volume: 'x' } }, 'msg.payload.volume: "x" is not a number; accepted: a number from 0 to 2'],
    ['an export to no name', { payload: { export: 42 } }, 'msg.payload.export: 42 is not a name; accepted: a name like "take1" (the folder in <session folder>/exports)'],
    ['an export to a path', { payload: { export: '../x' } }, 'msg.payload.export: "../x" is a path; accepted: a plain name of 1 to 64 letters, digits, spaces, "-", "_" or "." (not first or last, no "..")'],
    ['a session command that is not one', { command: 'format' }, 'msg.command: "format" is not a session command; accepted: save, load, list, delete, import, export'],
    ['a save to a path', { payload: { command: 'save', name: '/tmp/x' } }, 'msg.payload.name: "/tmp/x" is a path; accepted: a plain name of 1 to 64 letters, digits, spaces, "-", "_" or "." (not first or last, no "..")'],
    ['an unknown setting', { payload: { foo: 1 } }, 'msg.payload.foo: unknown setting; accepted: volume, export, command'],
    ['a huge array', { payload: HUGE_ARRAY }, `msg.payload: an array of 1000000 is not an audio out command; ${AUDIO_OUT_ACCEPTS}`],
  ],
};

/** What a bad msg must not change. */
function snapshot(s: HostStatus) {
  // a loop's position moves on its own: it is not something a msg changed
  const tracks = s.tracks.map(({ position: _moving, ...t }) => t);
  return { bpm: s.bpm, beatsPerBar: s.beatsPerBar, metronome: s.metronome, tracks };
}

describe('nodes: bad msgs', function () {
  let factory: CountingFactory;

  before(async () => {
    await helper.startServer();
    factory = await loadWithFactory([
      engineDef(),
      ...userNode('rec', NodeType.LoopRecorder, { track: 1 }),
      ...userNode('met', NodeType.Metronome),
      ...userNode('mix', NodeType.Mixer, { levelRate: 0 }),
      ...userNode('in', NodeType.AudioIn, { levelRate: 0 }),
      ...userNode('out', NodeType.AudioOut),
    ]);
    await engineUp();
    // a loop on track 1, so "untouched" covers a recording
    const recording = nextMsg(helper.getNode('rec-out'), (m) => m.payload === 'recording');
    const playing = nextMsg(helper.getNode('rec-out'), (m) => m.payload === 'playing');
    helper.getNode('rec').receive({ payload: 'record' });
    await recording;
    helper.getNode('rec').receive({ payload: 'record' });
    await playing;
  });
  after(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  for (const [id, cases] of Object.entries(CASES)) {
    for (const [description, msg, error] of cases) {
      it(`${id}: ${description}`, async () => {
        const node = helper.getNode(id);
        const before = snapshot(await hostStatus());
        const sent = factory.sent.length;
        const failed = nextError(node);
        const red = nextStatus(node, (s) => s.fill === 'red');
        node.receive(msg);
        assert.equal(await failed, error);
        const field = error.slice(0, error.indexOf(':'));
        assert.deepEqual(await red, { fill: 'red', shape: 'ring', text: `bad ${field}` });
        await wait(15); // a block: anything sent would have been applied
        assert.equal(factory.sent.length, sent, 'a bad msg reached the engine');
        const after = snapshot(await hostStatus());
        assert.deepEqual(after, before);
        assert.equal(after.tracks[0].state, 'playing');
      });
    }
  }
});
