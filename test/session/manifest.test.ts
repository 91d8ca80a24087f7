import { strict as assert } from 'assert';
import { InputError } from '../../lib/engine/commands';
import { MANIFEST_VERSION, Manifest, formatManifest, migrate, parseManifest } from '../../lib/session/manifest';

export function sampleManifest(): Manifest {
  return {
    format: 'loopstation-session', version: MANIFEST_VERSION, savedAt: '2024-01-01T00:00:00.000Z', sampleRate: 48000,
    bpm: 97.5, beatsPerBar: 3, quantize: 'loop', masterVolume: 0.8, masterTrack: 2,
    tracks: [
      { track: 1, state: 'stopped', volume: 0.5, pan: -1, muted: true, soloed: false, current: 0, layers: [{ file: 't1-abc-1.wav', frames: 100, anchor: -7 }] },
      {
        track: 2, state: 'playing', volume: 2, pan: 0.25, muted: false, soloed: true, current: 0,
        layers: [{ file: 't2-abc-2.wav', frames: 200, anchor: 48000, from: 't2-abc-100.cap' }, { file: 't2-abc-3.wav', frames: 200, anchor: 48000 }],
      },
      { track: 3, state: 'empty', volume: 1, pan: 0, muted: false, soloed: false, current: -1, layers: [] },
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
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what} with an InputError naming the file and the field`, () => {
      assert.throws(() => parseManifest(text, 's.json'), (e: unknown) => e instanceof InputError && message.test(e.message) && e.message.startsWith('s.json'));
    });
  }

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
