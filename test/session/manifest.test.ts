import { strict as assert } from 'assert';
import * as fs from 'fs';
import { InputError } from '../../lib/engine/commands';
import { MANIFEST_VERSION, Manifest, formatManifest, migrate, parseManifest } from '../../lib/session/manifest';
import { V1_MANIFEST } from './fixtures';

export function sampleManifest(): Manifest {
  return {
    format: 'loopstation-session', version: MANIFEST_VERSION, savedAt: '2024-01-01T00:00:00.000Z', sampleRate: 48000,
    bpm: 97.5, beatsPerBar: 3, quantize: 'loop', masterVolume: 0.8, masterTrack: 2, metronomeBus: 2, monitorBus: 3, monitorInput: '5-6',
    tracks: [
      {
        track: 1, state: 'stopped', volume: 0.5, pan: -1, muted: true, soloed: false,
        live: true, quantize: 'beat', feedback: 0.75, inputGain: 1.5, source: '3', cueBus: 2, cueSend: 0.5,
        current: 0, layers: [{ file: 't1-abc-1.wav', frames: 100, anchor: -7 }],
      },
      {
        track: 2, state: 'playing', volume: 2, pan: 0.25, muted: false, soloed: true,
        live: true, quantize: 'loop', feedback: 1, inputGain: 1, source: 'all', cueBus: 0, cueSend: 1, current: 0,
        layers: [{ file: 't2-abc-2.wav', frames: 200, anchor: 48000, from: 't2-abc-100.cap' }, { file: 't2-abc-3.wav', frames: 200, anchor: 48000 }],
      },
      {
        track: 3, state: 'empty', volume: 1, pan: 0, muted: false, soloed: false,
        live: false, quantize: 'off', feedback: 0, inputGain: 0, source: '31-32', cueBus: 16, cueSend: 2, current: -1, layers: [],
      },
    ],
  };
}

const bad = (mutate: (m: Record<string, any>) => void): string => {
  const m = JSON.parse(JSON.stringify(sampleManifest()));
  mutate(m);
  return JSON.stringify(m);
};

describe('session manifest', () => {
  it('round-trips through its text', () => {
    const m = sampleManifest();
    assert.deepEqual(parseManifest(formatManifest(m), 'session.json'), m);
  });

  const cases: [string, string, RegExp][] = [
    ['garbage', 'x{]', /^s\.json: not valid JSON .*damaged or was cut off/],
    ['cut off', formatManifest(sampleManifest()).slice(0, 200), /^s\.json: not valid JSON/],
    ['not a manifest', '{"hello": 1}', /not a loopstation session manifest/],
    ['newer version', bad((m) => (m.version = MANIFEST_VERSION + 1)), /version: \d+ was written by a newer loopstation/],
    ['no version', bad((m) => delete m.version), /version: nothing is not a number/],
    ['bad quantize', bad((m) => (m.quantize = 'bars')), /quantize: "bars" is not a quantize mode/],
    ['bad bpm', bad((m) => (m.bpm = 0)), /bpm: 0 is out of range/],
    ['bad volume', bad((m) => (m.tracks[1].volume = 3)), /tracks\[1\]\.volume: 3 is out of range/],
    ['current past the layers', bad((m) => (m.tracks[1].current = 2)), /tracks\[1\]\.current: 2 is out of range/],
    ['a layer path outside the folder', bad((m) => (m.tracks[0].layers[0].file = '../../etc/passwd.wav')), /layers\[0\]\.file: .*plain \.wav file name/],
    ['an absolute layer path', bad((m) => (m.tracks[0].layers[0].file = '/tmp/x.wav')), /layers\[0\]\.file/],
    ['a layer that is not a wav', bad((m) => (m.tracks[0].layers[0].file = 'x.json')), /layers\[0\]\.file/],
    ['zero frames', bad((m) => (m.tracks[0].layers[0].frames = 0)), /frames: 0 is out of range/],
    ['a track twice', bad((m) => (m.tracks[1].track = 1)), /track 1 appears twice/],
    ['a bad state', bad((m) => (m.tracks[0].state = 'recording')), /state: "recording"; accepted: empty, playing, stopped/],
    ['no live', bad((m) => delete m.tracks[0].live), /tracks\[0\]\.live: nothing is not on\/off/],
    ['a bad track quantize', bad((m) => (m.tracks[2].quantize = 'bars')), /tracks\[2\]\.quantize: "bars" is not a quantize mode/],
    ['a feedback above 1', bad((m) => (m.tracks[0].feedback = 1.5)), /tracks\[0\]\.feedback: 1\.5 is out of range/],
    ['a negative input gain', bad((m) => (m.tracks[0].inputGain = -1)), /tracks\[0\]\.inputGain: -1 is out of range/],
    ['a source that is no pair', bad((m) => (m.tracks[0].source = '3-5')), /tracks\[0\]\.source: "3-5" is not two adjacent channels/],
    ['a source past 32 channels', bad((m) => (m.tracks[0].source = '33')), /tracks\[0\]\.source: channel 33 is out of range/],
    ['a cue bus past 16', bad((m) => (m.tracks[0].cueBus = 17)), /tracks\[0\]\.cueBus: 17 is out of range/],
    ['a cue send above 2', bad((m) => (m.tracks[0].cueSend = 3)), /tracks\[0\]\.cueSend: 3 is out of range/],
    ['metronome bus 0', bad((m) => (m.metronomeBus = 0)), /metronomeBus: 0 is out of range/],
    ['no monitor bus', bad((m) => delete m.monitorBus), /monitorBus: nothing is not a number/],
    ['a bad monitor input', bad((m) => (m.monitorInput = 'left')), /monitorInput: "left" is not an input source/],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what} with an InputError naming the file and the field`, () => {
      assert.throws(() => parseManifest(text, 's.json'), (e: unknown) => e instanceof InputError && message.test(e.message) && e.message.startsWith('s.json'));
    });
  }

  it('keeps an input source by its name, whatever form it was written in', () => {
    const parsed = parseManifest(bad((m) => ((m.tracks[0].source = ' 3 - 4 '), (m.tracks[1].source = 5), (m.monitorInput = 0))), 's.json');
    assert.deepEqual([parsed.tracks[0].source, parsed.tracks[1].source, parsed.monitorInput], ['3-4', '5', 'all']);
  });

  it('reads a version 1 manifest with every track a loop, the session\'s quantize, and stereo routing', () => {
    const m = parseManifest(fs.readFileSync(V1_MANIFEST, 'utf8'), 'session.json');
    assert.equal(m.version, MANIFEST_VERSION);
    assert.deepEqual([m.metronomeBus, m.monitorBus, m.monitorInput], [1, 1, 'all']);
    const defaults = { live: true, quantize: 'beat', feedback: 1, inputGain: 1, source: 'all', cueBus: 0, cueSend: 1 };
    assert.deepEqual(m.tracks[0], {
      track: 1, state: 'playing', volume: 0.8, pan: -0.5, muted: false, soloed: false, ...defaults, current: 0,
      layers: [{ file: 't1-0a1b2c-1.wav', frames: 57600, anchor: 0 }],
    });
    assert.deepEqual(m.tracks[1], { track: 2, state: 'empty', volume: 1, pan: 0, muted: false, soloed: false, ...defaults, current: -1, layers: [] });
  });

  it('migrations run in order, one version at a time, and the result carries the target version', () => {
    const seen: number[] = [];
    const steps = [
      (m: Record<string, unknown>) => (seen.push(m.version as number), { ...m, a: 1 }),
      (m: Record<string, unknown>) => (seen.push(m.version as number), { ...m, b: (m.a as number) + 1 }),
      (m: Record<string, unknown>) => (seen.push(m.version as number), { ...m, c: (m.b as number) + 1 }),
    ];
    const out = migrate({ version: 2, a: 10 }, '', steps, 4);
    assert.deepEqual(seen, [2, 3]);
    assert.deepEqual(out, { version: 4, a: 10, b: 11, c: 12 });
    assert.deepEqual(migrate({ version: 4 }, '', steps, 4), { version: 4 });
  });
});
