import { strict as assert } from 'assert';
import * as fs from 'fs';
import { WavError, encodeWav, readWav, writeWavAtomic, writeWavAtomicSync } from '../../lib/session/wav';
import { resampledLength } from '../../lib/dsp/resample';
import { rawWav, sampleBytes, tempDir } from '../fixtures/wav';

/** The bytes of the "data" chunk of a WAV file. */
function dataChunk(wav: Buffer): Buffer {
  const at = wav.indexOf('data', 12, 'latin1');
  return wav.subarray(at + 8, at + 8 + wav.readUInt32LE(at + 4));
}

function bits(x: Float32Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

function lcg(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('session/wav', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  const put = (name: string, bytes: Uint8Array): string => {
    fs.writeFileSync(tmp.file(name), bytes);
    return tmp.file(name);
  };

  describe('encodeWav', () => {
    it('writes a float32 (format 3) or int16 (format 1) header with the given channels and rate', () => {
      for (const [format, code, width] of [['float32', 3, 32], ['int16', 1, 16]] as const) {
        for (const channels of [1, 2]) {
          const wav = encodeWav(new Float32Array(10 * channels), channels, 44100, format);
          assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
          assert.equal(wav.readUInt32LE(4), wav.length - 8);
          assert.equal(wav.toString('latin1', 8, 16), 'WAVEfmt ');
          assert.deepEqual(
            [wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt32LE(28), wav.readUInt16LE(32), wav.readUInt16LE(34)],
            [code, channels, 44100, 44100 * channels * width / 8, channels * width / 8, width],
          );
          assert.equal(dataChunk(wav).length, 10 * channels * width / 8);
        }
      }
    });

    it('int16: round(x * 32768), clamped at full scale and never wrapped; NaN -> 0', () => {
      const x = Float32Array.from([1, -1, 1.5, -1.5, NaN, Infinity, -Infinity, 0, 0.5, -0.5, 1 / 32768, -1 / 32768, 32767 / 32768, 0.2 / 32768]);
      const pcm = dataChunk(encodeWav(x, 1, 48000, 'int16'));
      const got = Array.from({ length: x.length }, (_, i) => pcm.readInt16LE(2 * i));
      assert.deepEqual(got, [32767, -32768, 32767, -32768, 0, 32767, -32768, 0, 16384, -16384, 1, -1, 32767, 0]);
    });

    it('rejects bad arguments with a RangeError', () => {
      assert.throws(() => encodeWav(new Float32Array(6), 3, 48000, 'float32'), RangeError);
      assert.throws(() => encodeWav(new Float32Array(5), 2, 48000, 'float32'), RangeError);
      assert.throws(() => encodeWav(new Float32Array(4), 2, 0, 'int16'), RangeError);
      assert.throws(() => encodeWav(new Float32Array(4), 2, 48000, 'int24' as 'int16'), RangeError);
    });
  });

  describe('round trips', () => {
    it('float32 is bit-exact (including -0, denormals and values beyond full scale)', () => {
      const rand = lcg(1);
      const x = Float32Array.from({ length: 4096 * 2 }, () => (rand() * 2 - 1) * 1.5);
      x.set([0, -0, 1e-40, -1e-40, 1, -1, 3.5, Math.fround(1 / 3)], 0);
      const back = readWav(put('f.wav', encodeWav(x, 2, 48000, 'float32')), { sampleRate: 48000 });
      assert.deepEqual([back.frames, back.sourceRate, back.sourceChannels, back.sourceFormat], [4096, 48000, 2, 'float32']);
      assert.deepEqual(bits(back.data), bits(x));
    });

    it('int16 comes back within half an LSB, clamped at full scale', () => {
      const rand = lcg(2);
      const x = Float32Array.from({ length: 4096 * 2 }, () => rand() * 2 - 1);
      x.set([1, -1, 1.5, -1.5], 0);
      const back = readWav(put('i.wav', encodeWav(x, 2, 44100, 'int16')), { sampleRate: 44100 });
      assert.equal(back.sourceFormat, 'pcm16');
      assert.deepEqual(Array.from(back.data.subarray(0, 4)), [32767 / 32768, -1, 32767 / 32768, -1]);
      for (let i = 4; i < x.length; i++) assert.ok(Math.abs(back.data[i] - x[i]) <= 0.5 / 32768 + 1e-12, `sample ${i}: ${x[i]} -> ${back.data[i]}`);
    });

    it('every int16 code read and written again is bit-identical', () => {
      const codes = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
      const file = rawWav({ channels: 2, sampleRate: 48000, bitsPerSample: 16, data: Buffer.from(codes.buffer) });
      const back = readWav(put('codes.wav', file), { sampleRate: 48000 });
      assert.deepEqual(dataChunk(encodeWav(back.data, 2, 48000, 'int16')), dataChunk(file));
    });
  });

  describe('readWav', () => {
    it('duplicates a mono file to both channels', () => {
      const file = put('mono.wav', rawWav({ channels: 1, sampleRate: 48000, bitsPerSample: 16, data: sampleBytes([0, 16384, -32768, 32767], 16) }));
      const wav = readWav(file, { sampleRate: 48000 });
      assert.deepEqual([wav.frames, wav.sourceChannels, wav.sourceFormat], [4, 1, 'pcm16']);
      assert.deepEqual(Array.from(wav.data), [0, 0, 0.5, 0.5, -1, -1, 32767 / 32768, 32767 / 32768]);
    });

    it('reads 8-bit (unsigned) PCM: (v - 128) / 128', () => {
      const wav = readWav(put('8.wav', rawWav({ channels: 1, sampleRate: 8000, bitsPerSample: 8, data: sampleBytes([0, 255, 128, 1, 192], 8) })), { sampleRate: 8000 });
      assert.equal(wav.sourceFormat, 'pcm8');
      assert.deepEqual(Array.from(wav.data.filter((_, i) => i % 2 === 0)), [-1, 127 / 128, 0, -127 / 128, 0.5]);
    });

    it('reads 24-bit PCM exactly: v / 2^23', () => {
      const codes = [-8388608, 8388607, 1, -1, 0, 4194304, -65536];
      const wav = readWav(put('24.wav', rawWav({ channels: 1, sampleRate: 96000, bitsPerSample: 24, data: sampleBytes(codes, 24) })), { sampleRate: 96000 });
      assert.equal(wav.sourceFormat, 'pcm24');
      assert.deepEqual(Array.from(wav.data.filter((_, i) => i % 2 === 1)), codes.map((c) => c / 8388608));
    });

    it('reads 32-bit PCM: v / 2^31', () => {
      const codes = [-2147483648, 2147483647, 1 << 30, -1, 0];
      const wav = readWav(put('32.wav', rawWav({ channels: 1, sampleRate: 48000, bitsPerSample: 32, data: sampleBytes(codes, 32) })), { sampleRate: 48000 });
      assert.equal(wav.sourceFormat, 'pcm32');
      assert.deepEqual(Array.from(wav.data.filter((_, i) => i % 2 === 0)), codes.map((c) => Math.fround(c / 2147483648)));
    });

    it('reads 64-bit float, rounded to float32; NaN and infinities become 0', () => {
      const values = [0.1, -0.75, 1.25, NaN, Infinity, -Infinity, 1e-300];
      const wav = readWav(put('64.wav', rawWav({ formatCode: 3, channels: 1, sampleRate: 48000, bitsPerSample: 64, data: sampleBytes(values, 64, true) })), { sampleRate: 48000 });
      assert.equal(wav.sourceFormat, 'float64');
      assert.deepEqual(Array.from(wav.data.filter((_, i) => i % 2 === 0)), [Math.fround(0.1), -0.75, 1.25, 0, 0, 0, 0]);
    });

    it('reads WAVE_FORMAT_EXTENSIBLE float and PCM by their subformat', () => {
      const f = readWav(put('ef.wav', rawWav({ formatCode: 0xfffe, extensibleSubformat: 3, channels: 2, sampleRate: 48000, bitsPerSample: 32, data: sampleBytes([0.25, -0.5], 32, true) })), { sampleRate: 48000 });
      assert.deepEqual([f.sourceFormat, ...f.data], ['float32', 0.25, -0.5]);
      const p = readWav(put('ep.wav', rawWav({ formatCode: 0xfffe, extensibleSubformat: 1, channels: 2, sampleRate: 48000, bitsPerSample: 24, data: sampleBytes([4194304, -8388608], 24) })), { sampleRate: 48000 });
      assert.deepEqual([p.sourceFormat, ...p.data], ['pcm24', 0.5, -1]);
    });

    it('reads big-endian RIFX', () => {
      const data = Buffer.alloc(4);
      data.writeInt16BE(16384, 0);
      data.writeInt16BE(-8192, 2);
      const wav = readWav(put('be.wav', rawWav({ bigEndian: true, channels: 2, sampleRate: 48000, bitsPerSample: 16, data })), { sampleRate: 48000 });
      assert.deepEqual(Array.from(wav.data), [0.5, -0.25]);
    });

    it('drops a trailing partial frame', () => {
      const data = sampleBytes([1, 2, 3, 4, 5, 6, 7, 8, 9], 16); // 4 stereo frames and half of a fifth
      const wav = readWav(put('odd.wav', rawWav({ channels: 2, sampleRate: 48000, bitsPerSample: 16, data })), { sampleRate: 48000 });
      assert.equal(wav.frames, 4);
      assert.deepEqual(Array.from(wav.data), [1, 2, 3, 4, 5, 6, 7, 8].map((v) => v / 32768));
    });

    it('rejects a bad requested rate with a RangeError (a caller bug, not a file problem)', () => {
      const file = put('ok.wav', encodeWav(new Float32Array(8), 2, 48000, 'float32'));
      for (const sampleRate of [0, -48000, 44100.5, NaN]) assert.throws(() => readWav(file, { sampleRate }), RangeError);
    });

    it('resamples to the requested rate and reports the source rate', () => {
      const frames = 4410;
      const x = Float32Array.from({ length: frames }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 44100));
      const wav = readWav(put('44k.wav', encodeWav(x, 1, 44100, 'float32')), { sampleRate: 48000 });
      assert.deepEqual([wav.frames, wav.data.length, wav.sourceRate], [resampledLength(frames, 44100, 48000), 2 * resampledLength(frames, 44100, 48000), 44100]);
      const expected = (j: number) => 0.5 * Math.sin((2 * Math.PI * 1000 * j) / 48000);
      for (let j = 200; j < wav.frames - 200; j++) {
        assert.ok(Math.abs(wav.data[2 * j] - expected(j)) < 1e-4 && wav.data[2 * j + 1] === wav.data[2 * j], `frame ${j}`);
      }
    });

    describe('broken files throw a one-line WavError naming the file, what is wrong and what is accepted', () => {
      const pcm16 = { channels: 2, sampleRate: 48000, bitsPerSample: 16, data: sampleBytes(new Array(64).fill(100), 16) };
      const riffOnly = Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1');
      const random = Buffer.from(Array.from({ length: 1000 }, lcg(3)).map((r) => Math.floor(r * 256)));
      const cases: [string, Buffer | null, RegExp][] = [
        ['empty file', Buffer.alloc(0), /: empty file; expected a PCM .* or float .* WAV, mono or stereo$/],
        ['random bytes', random, /: not a WAV file \(no RIFF header\); expected a PCM/],
        ['RIFF header only', riffOnly, /: broken WAV structure \(.*"fmt ".*\); expected a PCM/],
        ['RIFF of another type', Buffer.from('RIFF\x04\x00\x00\x00AVI ', 'latin1'), /: not a WAV file \(RIFF type "AVI "\); expected/],
        ['RF64', Buffer.concat([Buffer.from('RF64', 'latin1'), rawWav(pcm16).subarray(4)]), /: RF64 \(64-bit WAV\) is not supported; expected/],
        ['no data chunk', rawWav(pcm16).subarray(0, 36), /: broken WAV structure \(.*"data".*\); expected/],
        ['truncated data', rawWav(pcm16).subarray(0, 44 + 100), /: truncated data chunk: the header declares 128 bytes, the file holds 100$/],
        ['data size from a crashed recorder', rawWav({ ...pcm16, declaredDataBytes: 0xffffffff }), /: truncated data chunk: the header declares 4294967295 bytes/],
        ['0 channels', rawWav({ ...pcm16, channels: 0, blockAlign: 4 }), /: broken header: 0 channels; accepted: mono or stereo$/],
        ['6 channels', rawWav({ ...pcm16, channels: 6 }), /: unsupported format: 6 channels; accepted: mono or stereo$/],
        ['sample rate 0', rawWav({ ...pcm16, sampleRate: 0 }), /: broken header: sample rate 0; accepted: 1000 to 768000 Hz$/],
        ['implausible sample rate', rawWav({ ...pcm16, sampleRate: 3 }), /: unsupported sample rate: 3 Hz; accepted: 1000 to 768000 Hz$/],
        ['IMA ADPCM', rawWav({ ...pcm16, formatCode: 0x11, bitsPerSample: 4, blockAlign: 1024 }), /: unsupported encoding: IMA ADPCM; expected a PCM/],
        ['mu-law', rawWav({ ...pcm16, formatCode: 7, bitsPerSample: 8 }), /: unsupported encoding: mu-law; expected/],
        ['A-law', rawWav({ ...pcm16, formatCode: 6, bitsPerSample: 8 }), /: unsupported encoding: A-law; expected/],
        ['unknown codec', rawWav({ ...pcm16, formatCode: 0x1234 }), /: unsupported encoding: format code 4660; expected/],
        ['12-bit PCM', rawWav({ ...pcm16, bitsPerSample: 12, blockAlign: 4 }), /: unsupported format: PCM 12-bit; expected/],
        ['16-bit float', rawWav({ ...pcm16, formatCode: 3 }), /: unsupported format: float 16-bit; expected/],
        ['wrong block align', rawWav({ ...pcm16, blockAlign: 3 }), /: broken header: block align 3, expected 4 for 2 channel\(s\) of 16-bit$/],
        ['a folder', null, /: is a folder, not a regular file$/],
      ];
      for (const [name, bytes, pattern] of cases) {
        it(name, () => {
          const file = bytes ? put('broken.wav', bytes) : tmp.dir;
          assert.throws(() => readWav(file, { sampleRate: 48000 }), (err: unknown) => {
            assert.ok(err instanceof WavError, `not a WavError: ${String(err)}`);
            assert.ok(err.message.startsWith(`${file}: `), err.message);
            assert.match(err.message, pattern);
            assert.doesNotMatch(err.message, /\n/);
            assert.equal(err.file, file);
            return true;
          });
        });
      }

      it('too long to load at the requested rate (checked before allocating)', () => {
        const file = put('long.wav', rawWav({ channels: 1, sampleRate: 1000, bitsPerSample: 8, data: Buffer.alloc(5_600_000, 128) }));
        assert.throws(() => readWav(file, { sampleRate: 48000 }), (err: unknown) =>
          err instanceof WavError && err.message === `${file}: too long: 5600 s; accepted: up to 5592 s at 48000 Hz`);
      });

      it('missing file', () => {
        assert.throws(() => readWav(tmp.file('nope.wav'), { sampleRate: 48000 }), (err: unknown) =>
          err instanceof WavError && err.message === `${tmp.file('nope.wav')}: file not found`);
      });

      it('never anything but a WavError: every truncation and 2000 random header corruptions', () => {
        const sources = [
          rawWav(pcm16),
          rawWav({ formatCode: 0xfffe, extensibleSubformat: 3, channels: 1, sampleRate: 44100, bitsPerSample: 32, data: sampleBytes([0.5, -0.5, 0.25], 32, true) }),
          encodeWav(new Float32Array(32), 2, 48000, 'int16'),
        ];
        const rand = lcg(4);
        const variants: Buffer[] = [];
        for (const src of sources) {
          for (let n = 0; n < src.length; n++) variants.push(src.subarray(0, n));
          for (let k = 0; k < 2000 / sources.length; k++) {
            const v = Buffer.from(src);
            for (let flips = 1 + Math.floor(rand() * 4); flips > 0; flips--) v[Math.floor(rand() * 80) % v.length] = Math.floor(rand() * 256);
            variants.push(v);
          }
        }
        let accepted = 0;
        for (const v of variants) {
          const file = put('fuzz.wav', v);
          try {
            const wav = readWav(file, { sampleRate: 48000 });
            assert.equal(wav.data.length, 2 * wav.frames);
            accepted++;
          } catch (err) {
            if (!(err instanceof WavError)) throw new Error(`${v.toString('hex', 0, 48)}: ${String(err)}`);
            assert.doesNotMatch(err.message, /\n|undefined|NaN/);
          }
        }
        assert.ok(accepted > 0 && accepted < variants.length, `${accepted} of ${variants.length} accepted`);
      });
    });
  });

  for (const [name, write] of [
    ['writeWavAtomic', writeWavAtomic],
    ['writeWavAtomicSync', writeWavAtomicSync],
  ] as const) {
    describe(name, () => {
      const x = Float32Array.from([0.5, -0.5, 0.25, -0.25]);

      it('writes the file, replacing an old one, and leaves nothing else in the folder', async () => {
        const file = tmp.file('mix.wav');
        fs.writeFileSync(file, 'old');
        await write(file, x, 2, 48000, 'float32');
        assert.deepEqual(fs.readdirSync(tmp.dir), ['mix.wav']);
        assert.deepEqual(fs.readFileSync(file), encodeWav(x, 2, 48000, 'float32'));
      });

      it('a missing folder: WavError, no final file and no temp file', async () => {
        const file = tmp.file('missing/mix.wav');
        await assert.rejects(async () => write(file, x, 2, 48000, 'int16'), (err: unknown) =>
          err instanceof WavError && err.message === `${file}: cannot write: the folder does not exist`);
        assert.deepEqual(fs.readdirSync(tmp.dir), []);
      });

      it('a target that is not a regular file (a folder) is refused, and no temp file is left', async () => {
        const file = tmp.file('mix.wav');
        fs.mkdirSync(file);
        await assert.rejects(async () => write(file, x, 2, 48000, 'float32'), (err: unknown) =>
          err instanceof WavError && err.message === `${file}: is a folder; accepted: a new file or a regular file to replace`);
        assert.deepEqual(fs.readdirSync(tmp.dir), ['mix.wav']);
        assert.ok(fs.statSync(file).isDirectory());
      });

      it('bad arguments: RangeError before anything touches the disk', async () => {
        const file = tmp.file('mix.wav');
        fs.writeFileSync(file, 'old');
        await assert.rejects(async () => write(file, x, 3, 48000, 'float32'), RangeError);
        assert.deepEqual(fs.readdirSync(tmp.dir), ['mix.wav']);
        assert.equal(fs.readFileSync(file, 'utf8'), 'old');
      });
    });
  }
});
