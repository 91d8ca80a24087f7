import { strict as assert } from 'assert';
import { DEFAULT_HOST_CONFIG } from '../../lib/control/host-config';
import { StatusView } from '../../lib/control/status';
import { ControllerContext } from '../../lib/control/wiring';
import { HostRequest } from '../../lib/io/protocol';
import { MidiController } from '../../lib/midi/midi-controller';
import { MIDI } from '../../lib/midi/messages';
import { MidiPorts } from '../../lib/midi/ports';

// The midi node's controller with a typed fake context: the clock follower sets and nudges the engine's
// tempo on our beats; a fake port gets the clock out; no real port or timer drift involved.

function fakeContext(config: Partial<ControllerContext['config']> = {}) {
  let now = 0;
  const sent: HostRequest[] = [];
  const outputs: Record<string, unknown>[] = [];
  const listeners = new Map<string, (e: unknown) => void>();
  const ctx: ControllerContext = {
    config: { ...DEFAULT_HOST_CONFIG, tracks: 4, ...config },
    status: new StatusView(() => undefined),
    send: (req) => void sent.push(req),
    request: () => Promise.resolve({ bpm: 120 }),
    ready: () => undefined,
    output: (msg) => void outputs.push(msg as Record<string, unknown>),
    listen: (channel, listener) => void listeners.set(channel, listener as (e: unknown) => void),
    timeout: () => () => undefined,
    now: () => now,
    text: (_k, _p, english) => english,
    warn: () => undefined,
  };
  return { ctx, sent, outputs, emit: (channel: string, e: unknown) => listeners.get(channel)?.(e), setNow: (t: number) => (now = t) };
}

describe('midi controller', () => {
  it('follows an external clock: the engine gets its tempo, nudged until the beats line up', () => {
    const f = fakeContext();
    const c = new MidiController(f.ctx, { follow: true });
    const tick = 60000 / (126 * 24);
    c.midiIn([MIDI.Start], 0);
    let t = 0;
    let beat = 0;
    // our engine starts at 120 bpm, its first beat 60 ms after theirs; a sent tempo applies from the next beat
    let ourBpm = 120;
    let ourBeatAt = 60;
    for (let k = 0; k < 24 * 24; k++, t += tick) {
      c.midiIn([MIDI.Clock], t);
      if (t < ourBeatAt) continue;
      f.setNow(ourBeatAt);
      f.emit('beat', { type: 'beat', frame: beat * 24000, beat, beatInBar: beat % 4, bar: 0, downbeat: beat % 4 === 0 });
      beat++;
      const last = f.sent[f.sent.length - 1];
      if (last?.type === 'command') ourBpm = last.value as number;
      ourBeatAt += 60000 / ourBpm;
    }
    const bpms = f.sent.map((r) => (r.type === 'command' && r.command === 'bpm' ? (r.value as number) : NaN));
    assert.ok(bpms.length >= 3, JSON.stringify(f.sent));
    assert.ok(bpms.every((b) => Math.abs(b - 126) <= 126 * 0.02 + 0.001), JSON.stringify(bpms));
    assert.ok(Math.abs(bpms[bpms.length - 1] - 126) < 0.05, `the tempo settles on 126: ${JSON.stringify(bpms)}`);
    const reports = f.outputs.filter((m) => m.topic === 'clock').map((m) => m.payload as { bpm: number; phaseErrorFrames: number });
    assert.ok(Math.abs(reports[reports.length - 1].bpm - 126) < 0.01);
    assert.ok(Math.abs(reports[0].phaseErrorFrames) > 1000, `the first beat is off by ${reports[0].phaseErrorFrames} frames`);
    assert.ok(Math.abs(reports[reports.length - 1].phaseErrorFrames) < 48, `the last beat is off by ${reports[reports.length - 1].phaseErrorFrames} frames`);
  });

  it('the engine\'s sync source decides: MIDI clock follows without the option, Link never follows', () => {
    const clockFor = (sync: 'midi' | 'link', def: Record<string, unknown>): number => {
      const f = fakeContext({ sync });
      const c = new MidiController(f.ctx, def);
      c.midiIn([MIDI.Start], 0);
      for (let k = 0; k < 48; k++) c.midiIn([MIDI.Clock], (k * 60000) / (100 * 24));
      f.emit('beat', { type: 'beat', frame: 0, beat: 0, beatInBar: 0, bar: 0, downbeat: true });
      return f.sent.filter((r) => r.type === 'command' && r.command === 'bpm').length;
    };
    assert.equal(clockFor('midi', {}), 1);
    assert.equal(clockFor('link', { follow: true }), 0);
  });

  it('follow: once the beats line up, the bar lines of the engine move onto the external downbeats, once', () => {
    const f = fakeContext();
    const c = new MidiController(f.ctx, { follow: true });
    const tick = 60000 / (120 * 24);
    c.midiIn([MIDI.Start], 0);
    // our engine: 120 bpm, beats 5 ms after theirs, but its bar starts two beats off
    let barStart = -2;
    let beat = 0;
    const inBar: number[] = [];
    for (let k = 0, t = 0; k < 24 * 24; k++, t += tick) {
      c.midiIn([MIDI.Clock], t);
      const ourBeatAt = 5 + beat * 500;
      if (t < ourBeatAt) continue;
      f.setNow(ourBeatAt);
      const b = (((beat - barStart) % 4) + 4) % 4;
      inBar.push(b);
      const before = f.sent.length;
      f.emit('beat', { type: 'beat', frame: beat * 24000, beat, beatInBar: b, bar: 0, downbeat: b === 0 });
      // the engine makes its next beat a downbeat
      if (f.sent.slice(before).some((r) => r.type === 'command' && r.command === 'downbeat')) barStart = beat + 1;
      beat++;
    }
    const downbeats = f.sent.filter((r) => r.type === 'command' && r.command === 'downbeat');
    assert.equal(downbeats.length, 1);
    // from then on, our bar starts where theirs do (external beat k is a downbeat when k % 4 == 0)
    const last = inBar.slice(-8);
    assert.deepEqual(last, [(beat - 8) % 4, (beat - 7) % 4, (beat - 6) % 4, (beat - 5) % 4, (beat - 4) % 4, (beat - 3) % 4, (beat - 2) % 4, (beat - 1) % 4]);
  });

  it('clock out: ticks to the output port from the engine beats, start at the next beat', async () => {
    const f = fakeContext();
    const got: number[][] = [];
    const ports: MidiPorts = {
      inputs: () => [],
      outputs: () => ['synth'],
      openInput: () => ({ close: () => undefined }),
      openOutput: () => ({ send: (b) => void got.push(b), close: () => undefined }),
    };
    const c = new MidiController(f.ctx, { output: 'synth', clockOut: true }, () => ({ ports }));
    // a start before any beat was heard waits for the first one
    c.input({ payload: 'start' });
    f.setNow(100);
    f.emit('beat', { type: 'beat', frame: 0, beat: 0, beatInBar: 0, bar: 0, downbeat: true });
    assert.deepEqual(got, [[MIDI.Start], [MIDI.Clock]]);
    c.input({ payload: 'stop' });
    assert.deepEqual(got.pop(), [MIDI.Stop]);
    got.length = 0;
    f.setNow(200);
    c.input({ payload: 'start' });
    // the next beat (beat 1, 500 ms on) is where the song starts: nothing is due before it
    assert.deepEqual(got, []);
    f.setNow(500);
    f.emit('beat', { type: 'beat', frame: 24000, beat: 1, beatInBar: 1, bar: 0, downbeat: false });
    assert.deepEqual(got, [[MIDI.Start], [MIDI.Clock]]);
    // the next tick (frame 25000) is 20.8 ms on: the sender's timer sends it then
    f.setNow(520.9);
    await new Promise((resolve) => setTimeout(resolve, 40));
    c.close();
    assert.deepEqual(got, [[MIDI.Start], [MIDI.Clock], [MIDI.Clock]]);
  });
});
