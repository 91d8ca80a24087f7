import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthClick } from '../../lib/engine/click';
import { readWav } from '../../lib/session/wav';
import { rawWav, tempDir } from '../fixtures/wav';
import { rng } from '../engine/harness';

// `loopstation render` with a 4-channel input and two output buses (docs/routing.md): every sample of
// the stems and buses is where the docs say, through the real bin in a child process.

const BIN = path.join(__dirname, '../../../bin/loopstation.js');
const RATE = 48000;
const CHANNELS = 4;
const f = Math.fround;

function loopstation(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A float32 WAV of `channels` interleaved channels. */
function floatWav(data: Float32Array, channels: number): Buffer {
  return rawWav({ formatCode: 3, channels, sampleRate: RATE, bitsPerSample: 32, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

describe('loopstation render: 4 input channels, 2 output buses', function () {
  this.timeout(30000);
  const tmp = tempDir('loopstation-routing-');
  // channel c holds its own noise
  const frames = RATE * 3;
  const input = new Float32Array(frames * CHANNELS);
  for (let c = 0; c < CHANNELS; c++) {
    const r = rng(10 + c);
    for (let i = 0; i < frames; i++) input[i * CHANNELS + c] = f((r() * 2 - 1) * 0.3);
  }
  const ch = (c: number, frame: number) => input[frame * CHANNELS + c - 1];
  before(() => fs.writeFileSync(tmp.file('in4.wav'), floatWav(input, CHANNELS)));
  after(() => tmp.remove());

  const write = (o: Record<string, unknown>, name = 'script.json'): string => {
    fs.writeFileSync(tmp.file(name), JSON.stringify(o));
    return name;
  };
  const base = {
    sampleRate: RATE, blockSize: 256, quantize: 'off', crossfadeFrames: 0, monitor: false, bpm: 120,
    metronome: { enabled: true, volume: 0.5 }, metronomeBus: 2, inputChannels: CHANNELS, input: 'in4.wav', durationSeconds: 3,
    events: [
      { frame: 0, track: 1, command: 'input', value: '1' },
      { frame: 0, track: 2, command: 'input', value: '2' },
      { frame: 0, track: 3, command: 'input', value: '3-4' },
      { frame: 0, track: 3, command: 'cueBus', value: 2 },
      { frame: 0, track: 3, command: 'cueSend', value: 0.5 },
      ...[1, 2, 3].flatMap((track) => [
        { frame: 1000 * track, track, command: 'record' },
        { frame: 1000 * track + 24000, track, command: 'play' },
      ]),
    ],
    outputs: { buses: ['main.wav', 'cue.wav'], stems: 'stems' },
  };

  it('stems hold each track\'s source, bus 1 their sum with no click, bus 2 the click plus the cue send at its gain', () => {
    const r = loopstation(['render', write(base)], tmp.dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /main\.wav, .*cue\.wav/);
    const read = (name: string) => readWav(tmp.file(name), { sampleRate: RATE }).data;
    const main = read('main.wav');
    const cue = read('cue.wav');
    const stems = [1, 2, 3].map((t) => read(`stems/track${t}.wav`));
    assert.equal(main.length, frames * 2);

    // track k recorded [1000k, 1000k + 24000): from its end, position (t - end) mod 24000 plays
    const source = (track: number, frame: number): [number, number] =>
      track === 1 ? [ch(1, frame), ch(1, frame)] : track === 2 ? [ch(2, frame), ch(2, frame)] : [ch(3, frame), ch(4, frame)];
    for (let track = 1; track <= 3; track++) {
      const end = 1000 * track + 24000;
      for (let t = 0; t < frames; t++) {
        const want = t < end ? [0, 0] : source(track, 1000 * track + ((t - end) % 24000));
        const got = [stems[track - 1][2 * t], stems[track - 1][2 * t + 1]];
        if (got[0] !== want[0] || got[1] !== want[1]) assert.fail(`track ${track} frame ${t}: ${got} != ${want}`);
      }
    }
    // bus 1: the stems summed in track order, clamped; no click
    for (let i = 0; i < frames * 2; i++) {
      const want = Math.max(-1, Math.min(1, f(f(f(0 + stems[0][i]) + stems[1][i]) + stems[2][i])));
      if (main[i] !== want) assert.fail(`bus 1 sample ${i}: ${main[i]} != ${want}`);
    }
    // bus 2: track 3 at 0.5, plus the click at each beat (24000 frames at 120 bpm; accent on the bar)
    const accent = synthClick(RATE, true);
    const normal = synthClick(RATE, false);
    const click = new Float32Array(frames * 2);
    for (let beat = 0; beat * 24000 < frames; beat++) {
      const sample = beat % 4 === 0 ? accent : normal;
      const gain = beat % 4 === 0 ? f(0.5) : f(f(0.5) * f(0.7));
      for (let k = 0; k < sample.length && beat * 24000 * 2 + k < click.length; k++) click[beat * 24000 * 2 + k] = f(sample[k] * gain);
    }
    let clicked = 0;
    for (let i = 0; i < frames * 2; i++) {
      const want = f(f(0 + f(stems[2][i] * f(0.5))) + click[i]);
      if (cue[i] !== want) assert.fail(`bus 2 sample ${i}: ${cue[i]} != ${want}`);
      if (click[i] !== 0) clicked++;
    }
    assert.ok(clicked > 1000, 'the click sounds on bus 2');
  });

  it('refuses a WAV with another channel count, a source or bus the script lacks, naming the field', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, inputChannels: 3 }, /input: .*4 channel\(s\); accepted: exactly 3/],
      [{ ...base, events: [{ frame: 0, track: 1, command: 'input', value: '5' }] }, /events\[0\]\.value: .*channel 5 is out of range|events\[0\]\.value: "5" is not a source/],
      [{ ...base, events: [{ frame: 0, track: 1, command: 'cueBus', value: 3 }] }, /events\[0\]\.value: bus 3: this script has 2 output bus/],
      [{ ...base, metronomeBus: 3 }, /metronomeBus: 3 is out of range; accepted: an integer from 1 to 2/],
      [{ ...base, metronomeBus: 1, events: [], outputs: { mix: 'a.wav', buses: ['b.wav'] } }, /outputs\.mix: give "mix" or "buses", not both/],
      [{ ...base, metronomeBus: 1, events: [], outputs: { buses: ['a.wav', 'a.wav'] } }, /outputs\.buses: two buses name the same file/],
      [{ ...base, metronomeBus: 1, events: [], outputs: { buses: [] } }, /outputs\.buses: accepted: an array of 1 to 16/],
    ];
    cases.forEach(([script, message], i) => {
      const r = loopstation(['render', write(script, `bad${i}.json`)], tmp.dir);
      assert.notEqual(r.code, 0, `case ${i}`);
      assert.match(r.stderr, message, `case ${i}`);
    });
  });
});
