import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Engine } from '../../lib/engine/engine';
import { InputError } from '../../lib/engine/commands';
import { Cmd } from '../../lib/engine/types';
import { importIntoTrack } from '../../lib/session/import';
import { SessionLibrary } from '../../lib/session/library';
import { restoreSession } from '../../lib/session/restore';
import { readWav } from '../../lib/session/wav';
import { plain } from '../engine/harness';
import { rawWav, sampleBytes, tempDir } from '../fixtures/wav';
import { Driver, firstDifference, layersOf } from './driver';

// WAV import: every accepted sample format, mono or stereo, any rate, resampled to the engine's rate.

const RATE = 48000;
/** the first bar line after frame 1000 at 120 bpm in 4/4 */
const NEXT_BAR = 2 * RATE;
const FORMATS: { name: string; bits: 8 | 16 | 24 | 32 | 64; float: boolean; code: (x: number) => number }[] = [
  { name: '16-bit', bits: 16, float: false, code: (x) => Math.round(x * 32767) },
  { name: '24-bit', bits: 24, float: false, code: (x) => Math.round(x * 8388607) },
  { name: '32-bit int', bits: 32, float: false, code: (x) => Math.round(x * 2147483647) },
  { name: '32-bit float', bits: 32, float: true, code: (x) => x },
];

/** A short sine-ish WAV (0.25 s) written with the independent fixture writer. */
function writeFixture(file: string, rate: number, channels: 1 | 2, f: (typeof FORMATS)[number]): void {
  const frames = Math.round(rate / 4);
  const values: number[] = [];
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) values.push(f.code(0.5 * Math.sin((2 * Math.PI * 440 * i) / rate + c)));
  fs.writeFileSync(file, rawWav({ formatCode: f.float ? 3 : 1, channels, sampleRate: rate, bitsPerSample: f.bits, data: sampleBytes(values, f.bits, f.float) }));
}

describe('session: WAV import', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  for (const f of FORMATS) {
    for (const [rate, channels] of [[44100, 1], [48000, 2], [96000, 2], [22050, 1]] as const) {
      it(`${f.name}, ${channels === 1 ? 'mono' : 'stereo'}, ${rate} Hz: a new layer at the next bar, resampled; undo takes it back`, async () => {
        const file = tmp.file('in.wav');
        writeFixture(file, rate, channels, f);
        const d = new Driver(plain({ sampleRate: RATE, tracks: 2, quantize: 'bar', bpm: 120 }), null, [], 256);
        d.runTo(1000);
        const r = await importIntoTrack(d.engine, 2, file);
        const want = readWav(file, { sampleRate: RATE }).data;
        assert.deepEqual([r.track, r.frames, r.anchor, r.sourceRate, r.sourceChannels], [2, want.length / 2, NEXT_BAR, rate, channels]);
        const { layers, current } = layersOf(d.engine, 2);
        assert.equal(current, 0);
        assert.equal(firstDifference(layers[0].data, want), -1);
        d.engine.command(Cmd.Undo, 2, d.engine.frame);
        d.runTo(1256);
        assert.equal(d.engine.tracks[1].layerIndex, -1);
      });
    }
  }

  it('a bad file is an InputError naming the file; the track is untouched', async () => {
    const engine = new Engine(plain({ sampleRate: RATE }));
    fs.writeFileSync(tmp.file('bad.wav'), 'RIFF');
    await assert.rejects(importIntoTrack(engine, 1, tmp.file('bad.wav')), (e: unknown) => e instanceof InputError && /^file: .*bad\.wav: not a WAV file/.test(e.message));
    await assert.rejects(importIntoTrack(engine, 1, tmp.file('none.wav')), /file not found/);
    await assert.rejects(importIntoTrack(engine, 99, tmp.file('bad.wav')), /track: 99 is out of range/);
    await assert.rejects(importIntoTrack(engine, 1, 42), /file: must be a path to a WAV file/);
    // a device or a named pipe is refused by its kind, before a byte is read (neither fills the memory nor hangs)
    await assert.rejects(importIntoTrack(engine, 1, '/dev/zero'), (e: unknown) => e instanceof InputError && e.message === 'file: /dev/zero: is a character device, not a regular file');
    execFileSync('mkfifo', [tmp.file('pipe.wav')]);
    await assert.rejects(importIntoTrack(engine, 1, tmp.file('pipe.wav')), /^InputError: file: .*pipe\.wav: is a named pipe, not a regular file$/);
    assert.equal(engine.tracks[0].layerCount, 0);
  });

  it('offline into a named session: created at the given rate, restored like any session', async () => {
    const file = tmp.file('in.wav');
    writeFixture(file, 44100, 2, FORMATS[1]);
    const lib = new SessionLibrary(tmp.file('root'));
    const r = await lib.importWav('backing', file, 3, { sampleRate: 32000, bpm: 90 });
    assert.deepEqual([r.sampleRate, r.sourceRate], [32000, 44100]);
    await lib.importWav('backing', file, 1);
    const summary = (await lib.list())[0];
    assert.deepEqual([summary.name, summary.tracks, summary.layers, summary.sampleRate, summary.bpm], ['backing', 2, 2, 32000, 90]);
    const engine = new Engine(plain({ sampleRate: 32000, tracks: 4 }));
    const report = await restoreSession(engine, lib.dirOf('backing'));
    assert.deepEqual(report.problems, []);
    assert.equal(engine.masterTrack, 3);
    assert.equal(firstDifference(layersOf(engine, 3).layers[0].data, readWav(file, { sampleRate: 32000 }).data), -1);
    assert.equal(layersOf(engine, 3).layers[0].anchor, 0);
  });
});
