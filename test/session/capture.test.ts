import { strict as assert } from 'assert';
import * as fs from 'fs';
import { InputError } from '../../lib/engine/commands';
import { CaptureHeader, CaptureWriter, MAX_SYNC_SEAL_FRAMES, SEAL_EXT, encodeCaptureHeader, parseCapture, parseSeal, replayOverdub, sealedLayer } from '../../lib/session/capture';
import { decodeWav, encodeWav, float32FromBytes, readWavAsync, wavHeader } from '../../lib/session/wav';
import { noise } from '../engine/harness';
import { tempDir } from '../fixtures/wav';

const header = (h: Partial<CaptureHeader> = {}): CaptureHeader => ({
  version: 1, track: 2, kind: 'overdub', sampleRate: 48000, startPos: 3, len: 5, anchor: 100, began: 1234, base: 't2-x-1.wav', createdAt: 'now', ...h,
});

describe('session capture files', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('a cut-off stream is valid up to its last whole frame, whatever the cut', () => {
    const frames = noise(10, 3);
    const whole = Buffer.concat([encodeCaptureHeader(header()), Buffer.from(frames.buffer)]);
    const start = whole.length - frames.byteLength;
    assert.equal(start % 8, 0, 'the frames start 8-byte aligned');
    for (let cut = start; cut <= whole.length; cut++) {
      const { header: h, data } = parseCapture('c', whole.subarray(0, cut));
      assert.deepEqual(h, header());
      assert.deepEqual(Array.from(data), Array.from(frames.subarray(0, Math.floor((cut - start) / 8) * 2)));
    }
    for (let cut = 0; cut < start; cut++) assert.throws(() => parseCapture('c', whole.subarray(0, cut)), InputError);
  });

  it('refuses a header with unexpected fields', () => {
    assert.throws(() => parseCapture('c', encodeCaptureHeader(header({ kind: 'insert' as 'record' }))), /unexpected fields/);
    assert.throws(() => parseCapture('c', encodeCaptureHeader(header({ len: 0 }))), /overdub without a loop length/);
    assert.throws(() => parseCapture('c', Buffer.from('RIFF....WAVE')), /not a capture file/);
  });

  it('replaying an overdub lays the stream over its base in order, wrapping at the loop length', () => {
    const base = new Float32Array(10).map((_, i) => 100 + i); // 5 frames
    const stream = new Float32Array(14).map((_, i) => i); // 7 frames from position 3: 3 4 0 1 2 3 4
    const out = replayOverdub(header(), stream, base);
    // positions 3,4 were written twice: the later frames (5 and 6) win
    assert.deepEqual(Array.from(out), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    assert.deepEqual(Array.from(replayOverdub(header(), stream.subarray(0, 4), base)), [100, 101, 102, 103, 104, 105, 0, 1, 2, 3]);
    assert.deepEqual(Array.from(replayOverdub(header(), stream.subarray(0, 2), null)), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('a writer appends in order and sync() makes the stream durable; the file parses back', async () => {
    const file = tmp.file('t.cap');
    const w = new CaptureWriter(file, header({ kind: 'record', len: 0, startPos: 0, base: null }), { appendFrames: 3, syncMs: 0 });
    const all = noise(20, 5);
    for (let i = 0; i < 20; i += 2) w.push(all.slice(i * 2, (i + 2) * 2));
    await w.sync();
    assert.deepEqual(Array.from(parseCapture(file, fs.readFileSync(file)).data), Array.from(all));
    await w.close();
  });

  for (const [what, frames] of [['a short end is sealed before seal() returns', 1000], ['a disk far behind gets its seal after the capture', MAX_SYNC_SEAL_FRAMES + 1000]] as const) {
    it(`seal: ${what}; capture and seal rebuild the finished layer exactly`, async () => {
      const file = tmp.file('r.cap');
      const w = new CaptureWriter(file, header({ kind: 'record', len: 0, startPos: 0, base: null }), { appendFrames: 10 ** 9, syncMs: 10 ** 9 });
      // the pass as captured, then the layer as it ended: its last 16 frames changed again (an end crossfade)
      const captured = noise(frames, 6);
      w.push(captured.slice());
      const layer = captured.slice();
      for (let i = (frames - 16) * 2; i < frames * 2; i++) layer[i] = -layer[i];
      const sealed = w.seal({ len: frames, anchor: 7, file: 't1-x-1.wav', streamTo: frames }, frames - 16, (from) => layer.slice(from * 2));
      // a short seal is on the disk at once (a kill now finds it); a long one waits for the capture
      assert.equal(fs.existsSync(file + SEAL_EXT), frames <= MAX_SYNC_SEAL_FRAMES);
      layer.fill(0); // the arena region is reused right after: the seal must not read it later
      await sealed;
      const { header: h, data } = parseCapture(file, fs.readFileSync(file));
      const { seal, tail } = parseSeal(file + SEAL_EXT, fs.readFileSync(file + SEAL_EXT));
      const expected = captured.slice();
      for (let i = (frames - 16) * 2; i < frames * 2; i++) expected[i] = -expected[i];
      assert.deepEqual(Array.from(sealedLayer(h, data, null, seal, tail) ?? []), Array.from(expected));
      assert.equal(seal.anchor, 7);
    });
  }
});

describe('session wav helpers', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('wavHeader + float32 bytes is byte for byte what encodeWav writes', () => {
    const data = noise(1000, 9);
    for (const format of ['float32', 'int16'] as const) {
      const whole = encodeWav(data, 2, 44100, format);
      assert.deepEqual(wavHeader(1000, 2, 44100, format), whole.subarray(0, 44));
    }
    assert.deepEqual(Buffer.concat([wavHeader(1000, 2, 44100, 'float32'), Buffer.from(data.buffer)]), encodeWav(data, 2, 44100, 'float32'));
  });

  it('float32FromBytes turns NaN and infinities into 0 and keeps -0', () => {
    const x = new Float32Array([NaN, Infinity, -Infinity, -0, 0.25, -1e-40]);
    const y = float32FromBytes(new Uint8Array(x.buffer));
    assert.deepEqual(Array.from(y), [0, 0, 0, -0, 0.25, Math.fround(-1e-40)]);
    assert.ok(Object.is(y[3], -0));
  });

  it('readWavAsync reads what readWav reads; decodeWav names the source in errors', async () => {
    const data = noise(500, 2);
    fs.writeFileSync(tmp.file('a.wav'), encodeWav(data, 2, 48000, 'float32'));
    assert.deepEqual(Array.from((await readWavAsync(tmp.file('a.wav'), { sampleRate: 48000 })).data), Array.from(data));
    await assert.rejects(readWavAsync(tmp.file('none.wav'), { sampleRate: 48000 }), /none\.wav: file not found/);
    assert.throws(() => decodeWav('named', Buffer.from('junk'), { sampleRate: 48000 }), /^WavError: named: not a WAV file|named: not a WAV file/);
  });
});
