import { strict as assert } from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { encodeWav, readWav } from '../../lib/session/wav';
import { rawWav, tempDir } from '../fixtures/wav';
import { noise } from '../engine/harness';

// The `loopstation render` contract (docs/render.md), through the real bin in a child process.

const BIN = path.join(__dirname, '../../../bin/loopstation.js');
const RATE = 48000;

function loopstation(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('loopstation render', function () {
  this.timeout(30000);
  const tmp = tempDir('loopstation-render-');
  const input = noise(RATE * 4, 42, 0.4);
  before(() => {
    fs.writeFileSync(tmp.file('in.wav'), encodeWav(input, 2, RATE, 'float32'));
  });
  after(() => tmp.remove());

  const script = (o: Record<string, unknown>, name = 'script.json'): string => {
    fs.writeFileSync(tmp.file(name), JSON.stringify(o));
    return name;
  };
  const base = {
    sampleRate: RATE, blockSize: 256, quantize: 'off', crossfadeFrames: 0, monitor: false,
    metronome: { enabled: false }, input: 'in.wav', durationSeconds: 3,
    events: [
      { frame: 1000, track: 1, command: 'record' },
      { frame: 49000, track: 1, command: 'play' },
    ],
    outputs: { mix: 'out.wav' },
  };

  it('renders a loop that sits exactly where docs/render.md says: position (t - end) mod length, sample by sample', () => {
    const r = loopstation(['render', script(base)], tmp.dir);
    assert.equal(r.code, 0, r.stderr);
    const out = readWav(tmp.file('out.wav'), { sampleRate: RATE });
    assert.equal(out.frames, RATE * 3);
    assert.equal(out.sourceFormat, 'float32');
    for (let t = 0; t < out.frames; t++) {
      const want = t < 49000 ? [0, 0] : [input[(1000 + ((t - 49000) % 48000)) * 2], input[(1000 + ((t - 49000) % 48000)) * 2 + 1]];
      if (out.data[t * 2] !== want[0] || out.data[t * 2 + 1] !== want[1]) assert.fail(`frame ${t}: ${out.data[t * 2]} != ${want[0]}`);
    }
  });

  it('deleteLoop and addLoop: the loop is heard up to the delete, and nothing of it after', () => {
    const r = loopstation(['render', script({
      ...base,
      tracks: 2,
      loops: 1,
      events: [
        ...base.events,
        { frame: 97000, track: 1, command: 'deleteLoop' },
        { frame: 99000, command: 'addLoop' },
        { frame: 99500, track: 2, command: 'play' },
      ],
      outputs: { mix: 'deleted.wav' },
    })], tmp.dir);
    assert.equal(r.code, 0, r.stderr);
    const out = readWav(tmp.file('deleted.wav'), { sampleRate: RATE });
    for (let t = 49000; t < out.frames; t++) {
      const want = t < 97000 ? input[(1000 + ((t - 49000) % 48000)) * 2] : 0;
      if (out.data[t * 2] !== want) assert.fail(`frame ${t}: ${out.data[t * 2]} != ${want}`);
    }
  });

  it('resolves paths against the script folder, not the working directory', () => {
    const r = loopstation(['render', tmp.file(script({ ...base, outputs: { mix: 'elsewhere.wav' } }))], '/');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(tmp.file('elsewhere.wav')));
  });

  it('the mix is the stems plus the monitored input, sample by sample; int16 is that mix rounded and clamped, one stem per track used', () => {
    const loud = { ...base, monitor: true, events: [...base.events, { at: 2, track: 1, command: 'volume', value: 2 }] };
    const asFloat = loopstation(['render', script({ ...loud, outputs: { mix: 'loud-f.wav', stems: 'stems-f' } })], tmp.dir);
    assert.equal(asFloat.code, 0, asFloat.stderr);
    const asInt16 = loopstation(['render', script({ ...loud, outputs: { mix: 'loud.wav', stems: 'stems', format: 'int16' } })], tmp.dir);
    assert.equal(asInt16.code, 0, asInt16.stderr);
    assert.deepEqual(fs.readdirSync(tmp.file('stems')), ['track1.wav']);
    assert.deepEqual(fs.readdirSync(tmp.file('stems-f')), ['track1.wav']);
    const mix = readWav(tmp.file('loud-f.wav'), { sampleRate: RATE });
    const stem = readWav(tmp.file('stems-f/track1.wav'), { sampleRate: RATE });
    assert.equal(mix.data.length, RATE * 3 * 2);
    assert.equal(stem.data.length, mix.data.length);
    // float32 all the way: the input monitored at 1, plus the stem, clamped at +-1 by the master
    const clamp = (x: number) => Math.max(-1, Math.min(1, x));
    for (let i = 0; i < mix.data.length; i++) {
      const want = clamp(Math.fround(input[i] + stem.data[i]));
      if (mix.data[i] !== want) assert.fail(`sample ${i}: mix ${mix.data[i]}, input + stem ${want}`);
    }
    // the stem is the loop: silent until it plays at 49000, then at volume 2 from 2 s
    assert.ok(stem.data.subarray(0, 49000 * 2).every((x) => x === 0));
    const p = (t: number) => 1000 + ((t - 49000) % 48000);
    assert.equal(stem.data[60000 * 2], input[p(60000) * 2]);
    assert.equal(stem.data[100000 * 2], Math.fround(input[p(100000) * 2] * 2));
    // int16: round(x * 32768) clamped to [-32768, 32767], so full scale never wraps
    const mix16 = readWav(tmp.file('loud.wav'), { sampleRate: RATE });
    assert.equal(mix16.sourceFormat, 'pcm16');
    let clipped = 0;
    for (let i = 0; i < mix.data.length; i++) {
      const want = Math.max(-32768, Math.min(32767, Math.round(mix.data[i] * 32768))) / 32768;
      if (mix16.data[i] !== want) assert.fail(`sample ${i}: int16 ${mix16.data[i] * 32768}, want ${want * 32768}`);
      if (Math.abs(mix.data[i]) === 1) clipped++;
    }
    assert.ok(clipped > 100, `${clipped} samples at full scale: the test must reach the clamp`);
  });

  it('is deterministic to the bit across runs and block sizes', () => {
    const rich = { ...base, quantize: 'beat', crossfadeFrames: 128, monitor: true, metronome: { enabled: true, volume: 0.3 },
      events: [...base.events, { at: 1.5, track: 2, command: 'record' }, { at: 2.2, track: 2, command: 'play' }, { at: 2.5, track: 1, command: 'overdub' }] };
    loopstation(['render', script({ ...rich, outputs: { mix: 'a.wav' } })], tmp.dir);
    loopstation(['render', script({ ...rich, outputs: { mix: 'b.wav' } })], tmp.dir);
    loopstation(['render', script({ ...rich, blockSize: 1000, outputs: { mix: 'c.wav' } })], tmp.dir);
    const a = fs.readFileSync(tmp.file('a.wav'));
    assert.ok(a.equals(fs.readFileSync(tmp.file('b.wav'))));
    assert.ok(a.equals(fs.readFileSync(tmp.file('c.wav'))));
  });

  it('resamples a mono 44.1 kHz input and an int16 metronome sample', () => {
    const mono = new Float32Array(44100).map((_, i) => 0.3 * Math.sin(i / 10));
    fs.writeFileSync(tmp.file('mono.wav'), encodeWav(mono, 1, 44100, 'int16'));
    fs.writeFileSync(tmp.file('tick.wav'), encodeWav(new Float32Array(100).fill(0.5), 1, 22050, 'int16'));
    const r = loopstation(['render', script({ ...base, input: 'mono.wav', metronome: { enabled: true, sound: 'tick.wav' }, outputs: { mix: 'm.wav' } })], tmp.dir);
    assert.equal(r.code, 0, r.stderr);
    const out = readWav(tmp.file('m.wav'), { sampleRate: RATE });
    assert.ok(out.data[RATE] !== 0 && out.data[0] !== 0);
  });

  describe('bad input: non-zero exit, one line naming the field, no stack, no output file', () => {
    const broken = () => {
      fs.writeFileSync(tmp.file('noise.wav'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 255)));
      fs.writeFileSync(tmp.file('short.wav'), rawWav({ channels: 2, sampleRate: RATE, bitsPerSample: 16, data: new Uint8Array(400), declaredDataBytes: 40000 }));
      // places a read must not hang in or a write must not replace
      execFileSync('mkfifo', [tmp.file('pipe.wav')]);
      fs.mkdirSync(tmp.file('pipestems'));
      execFileSync('mkfifo', [tmp.file('pipestems/track1.wav')]);
      fs.symlinkSync(tmp.file('in.wav'), tmp.file('link.wav'));
      // 1.5 GiB without using the disk: the size is refused before a byte is read
      fs.closeSync(fs.openSync(tmp.file('big.wav'), 'w'));
      fs.truncateSync(tmp.file('big.wav'), 1.5 * 2 ** 30);
    };
    const cases: [string, unknown, RegExp][] = [
      ['a script that is not JSON', '{"bpm": 120,', /script: .*not valid JSON/],
      ['a script that is an array', [1, 2], /script: must be a JSON object/],
      ['an unknown field', { ...base, bmp: 120 }, /^loopstation render: bmp: unknown field/],
      ['bpm 0', { ...base, bpm: 0 }, /bpm: 0 is out of range; accepted: a number from 20 to 400/],
      ['bpm "fast"', { ...base, bpm: 'fast' }, /bpm: "fast" is not a number/],
      ['a negative bpm', { ...base, bpm: -120 }, /bpm: -120 is out of range/],
      ['sampleRate 1000', { ...base, sampleRate: 1000 }, /sampleRate: 1000 is out of range/],
      ['blockSize 0', { ...base, blockSize: 0 }, /blockSize: 0 is out of range/],
      ['crossfadeFrames 1.5', { ...base, crossfadeFrames: 1.5 }, /crossfadeFrames: 1.5 is out of range; accepted: an integer/],
      ['quantize "bars"', { ...base, quantize: 'bars' }, /quantize: "bars" is not a quantize mode; accepted: off, beat, bar, loop/],
      ['metronome not an object', { ...base, metronome: true }, /metronome: must be an object/],
      ['no events', { ...base, events: undefined }, /events: missing or not an array/],
      ['an unknown command', { ...base, events: [{ at: 1, track: 1, command: 'rec' }] }, /events\[0\]\.command: unknown command "rec"; accepted: record, overdub/],
      ['track 0', { ...base, events: [{ at: 1, track: 0, command: 'record' }] }, /events\[0\]\.track: 0 is out of range; accepted: an integer from 1 to 8/],
      ['track 99', { ...base, events: [{ at: 1, track: 99, command: 'play' }] }, /events\[0\]\.track: 99 is out of range/],
      ['a track command without a track', { ...base, events: [{ at: 1, command: 'play' }] }, /events\[0\]\.track: missing/],
      ['an event with neither at nor frame', { ...base, events: [{ track: 1, command: 'play' }] }, /events\[0\]\.at: give exactly one of/],
      ['an event with both at and frame', { ...base, events: [{ at: 1, frame: 3, track: 1, command: 'play' }] }, /events\[0\]\.at: give exactly one/],
      ['a negative time', { ...base, events: [{ at: -1, track: 1, command: 'play' }] }, /events\[0\]\.at: -1 is out of range/],
      ['an event after the end', { ...base, events: [{ at: 99, track: 1, command: 'play' }] }, /events\[0\]\.at: 99 is out of range/],
      ['a volume of 3', { ...base, events: [{ at: 1, track: 1, command: 'volume', value: 3 }] }, /events\[0\]\.value: 3 is out of range; accepted: a number from 0 to 2/],
      ['durationSeconds missing', { ...base, durationSeconds: undefined }, /durationSeconds: missing/],
      ['durationSeconds negative', { ...base, durationSeconds: -5 }, /durationSeconds: -5 is out of range/],
      ['no outputs', { ...base, outputs: undefined }, /outputs: missing/],
      ['no outputs.mix', { ...base, outputs: { stems: 'x' } }, /outputs\.mix: missing/],
      ['format mp3', { ...base, outputs: { mix: 'out.wav', format: 'mp3' } }, /outputs\.format: "mp3"; accepted: float32, int16/],
      ['a mix folder that does not exist', { ...base, outputs: { mix: 'no/such/out.wav' } }, /outputs\.mix: the folder .* does not exist/],
      ['a missing input file', { ...base, input: 'missing.wav' }, /input: .*missing\.wav/],
      ['an input that is not a WAV', { ...base, input: 'noise.wav' }, /input: .*noise\.wav/],
      ['a truncated input WAV', { ...base, input: 'short.wav' }, /input: .*short\.wav.*trunc/i],
      ['a broken metronome sample', { ...base, metronome: { enabled: true, sound: 'noise.wav' } }, /metronome\.sound: .*noise\.wav/],
      ['an input that is a device', { ...base, input: '/dev/zero' }, /^loopstation render: input: \/dev\/zero: is a character device, not a regular file$/],
      ['an input that is a named pipe', { ...base, input: 'pipe.wav' }, /input: .*pipe\.wav: is a named pipe, not a regular file$/],
      ['an input larger than the read limit', { ...base, input: 'big.wav' }, /input: .*big\.wav: is 1536 MiB; accepted: files up to 1024 MiB$/],
      ['a metronome sound that is a device', { ...base, metronome: { enabled: true, sound: '/dev/zero' } }, /metronome\.sound: \/dev\/zero: is a character device/],
      ['an hour at 192 kHz in float32', { ...base, sampleRate: 192000, durationSeconds: 3600 },
        /durationSeconds: 3600 s at sampleRate 192000 makes a 5273 MiB float32 WAV, larger than a WAV file can be \(4 GiB\); accepted: up to 2796 s at this sampleRate, or "format": "int16"$/],
      ['a mix that is a device', { ...base, outputs: { mix: '/dev/null' } }, /outputs\.mix: \/dev\/null: is a character device; accepted: a new file or a regular file to replace$/],
      ['a mix that is a symbolic link', { ...base, outputs: { mix: 'link.wav' } }, /outputs\.mix: .*link\.wav: is a symbolic link; accepted: a new file/],
      ['a stem that is a named pipe', { ...base, outputs: { mix: 'out.wav', stems: 'pipestems' } }, /outputs\.stems: .*pipestems\/track1\.wav: is a named pipe; accepted: a new file/],
    ];
    before(broken);
    for (const [what, body, message] of cases) {
      it(what, () => {
        const name = `bad-${what.replace(/\W+/g, '-')}.json`;
        const outName = `bad-out-${name}.wav`;
        const text = typeof body === 'string' ? body : JSON.stringify(body, (k, v) => (k === 'mix' && v === 'out.wav' ? outName : v));
        fs.writeFileSync(tmp.file(name), text);
        const r = loopstation(['render', name], tmp.dir);
        assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, `one line: ${r.stderr}`);
        assert.match(lines[0], message);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
        assert.ok(!fs.existsSync(tmp.file(outName)), 'no output file');
        assert.deepEqual(fs.readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
      });
    }
    it('a device named as the mix stays the device', () => {
      assert.ok(fs.statSync('/dev/null').isCharacterDevice());
      assert.ok(fs.lstatSync(tmp.file('link.wav')).isSymbolicLink());
    });
    it('a failed render leaves an existing output file untouched', () => {
      fs.writeFileSync(tmp.file('keep.wav'), 'previous take');
      const r = loopstation(['render', script({ ...base, bpm: 0, outputs: { mix: 'keep.wav' } })], tmp.dir);
      assert.equal(r.code, 2);
      assert.equal(fs.readFileSync(tmp.file('keep.wav'), 'utf8'), 'previous take');
    });
    it('no arguments and an unknown subcommand give usage errors', () => {
      assert.equal(loopstation([], tmp.dir).code, 1);
      const r = loopstation(['rendr'], tmp.dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown command "rendr"/);
    });
  });
});
