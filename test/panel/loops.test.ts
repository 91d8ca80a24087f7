import { strict as assert } from 'assert';
import { parseCommand } from '../../lib/engine/commands';
import { Engine } from '../../lib/engine/engine';
import { engineOptions } from '../../lib/engine/options';
import { hostStatus } from '../../lib/io/status';
import { translateEvent } from '../../lib/io/translate';
import type { HostEvent } from '../../lib/io/protocol';
import { OscValue } from '../../lib/osc/codec';
import { Reply, SooperLooperOsc } from '../../lib/osc/sooperlooper';
import { PanelEvent, PanelState } from '../../lib/panel/panel-state';

// Loops added and deleted while the engine runs: the engine owns the set, and every client sees the
// same one. A SooperLooper client adds and deletes loops over OSC; the engine host's status and the
// panel (fed the host's events, as the panel node is) follow, block by block on a real engine.

const RATE = 48000;
const BLOCK = 256;
const TRACKS = 3;
const SOURCE = { address: '127.0.0.1', port: 9000 };

class Rig {
  readonly engine = new Engine(
    engineOptions({ sampleRate: RATE, blockSize: BLOCK, tracks: TRACKS, loops: 1, quantize: 'off', crossfadeFrames: 32, memoryMiB: 8, metronome: { enabled: false } }),
  );
  readonly panel = new PanelState({ name: 'rig', tracks: TRACKS, bpm: 120, beatsPerBar: 4, metronome: false, quantize: 'off', sampleRate: RATE, blockFrames: BLOCK });
  readonly streamed: PanelEvent[] = [];
  readonly replies: Reply[] = [];
  readonly warnings: string[] = [];
  readonly osc = new SooperLooperOsc({
    tracks: TRACKS,
    loops: 1,
    sampleRate: RATE,
    bpm: 120,
    beatsPerBar: 4,
    memoryMiB: 8,
    command: (command, track, value) => {
      const c = parseCommand({ command, track, value }, TRACKS);
      this.engine.command(c.cmd, c.track, this.engine.frame, c.value);
    },
    reply: (r) => void this.replies.push(r),
    serverUrl: () => 'osc.udp://127.0.0.1:9951/',
    requestStatus: () => this.osc.hostStatus(hostStatus(this.engine, 0), this.ms),
    session: () => Promise.reject(new Error('no sessions here')),
    warn: (w) => void this.warnings.push(w),
  });

  constructor() {
    for (const e of this.panel.applyStatus(hostStatus(this.engine, 0), true)) this.streamed.push(e);
  }

  get ms(): number {
    return (this.engine.frame * 1000) / RATE;
  }

  send(address: string, types: string, args: OscValue[]): void {
    assert.ok(this.osc.handle({ address, types, args }, SOURCE, this.ms), `${address} was taken`);
  }

  /** Renders blocks of `input` (or silence), handing every event to the OSC server and the panel. */
  render(frames: number, input?: Float32Array): void {
    for (let done = 0; done < frames; done += BLOCK) {
      const view = this.engine.inputView();
      view.fill(0);
      if (input) view.set(input.subarray(done * 2, (done + BLOCK) * 2));
      this.engine.process(BLOCK);
      this.engine.events.drain((raw) => {
        const e: HostEvent = translateEvent(this.engine, raw);
        this.osc.hostEvent(e, this.ms);
        const out = this.panel.apply(e);
        if (out) this.streamed.push(out);
      });
    }
  }

  live(): number[] {
    return hostStatus(this.engine, 0).tracks.filter((t) => t.live).map((t) => t.track);
  }

  shown(): number[] {
    return this.panel.snapshot().tracks.filter((t) => t.live).map((t) => t.track);
  }

  ping(): number {
    this.send('/ping', 'ss', ['osc.udp://127.0.0.1:9000/', '/pong']);
    return this.replies[this.replies.length - 1].args[2] as number;
  }
}

describe('live loops across clients: OSC, the engine host, the panel', () => {
  it('a loop added by OSC is a loop in the engine host\'s status and shows up in the panel; deleting it frees it everywhere', () => {
    const rig = new Rig();
    assert.deepEqual([rig.live(), rig.shown(), rig.ping()], [[1], [1], 1]);
    const before = rig.streamed.length;
    rig.send('/loop_add', 'if', [2, 40]);
    rig.render(BLOCK);
    assert.deepEqual([rig.live(), rig.shown(), rig.ping()], [[1, 2], [1, 2], 2]);
    // the page is told at once: the track, live, with a fresh mixer
    const shownEvent = rig.streamed.slice(before).find((e) => e.type === 'track' && e.track.track === 2);
    assert.ok(shownEvent && shownEvent.type === 'track');
    assert.deepEqual([shownEvent.track.live, shownEvent.track.volume, shownEvent.track.muted], [true, 1, false]);
    rig.send('/loop_del', 'i', [0]);
    rig.render(BLOCK);
    assert.deepEqual([rig.live(), rig.shown(), rig.ping()], [[2], [2], 1]);
    // OSC loop 0 is now track 2: loops are renumbered, tracks are not
    assert.deepEqual(rig.osc.loopTracks, [2]);
  });

  it('a recorded loop deleted by OSC and added again starts empty', () => {
    const rig = new Rig();
    const input = new Float32Array(RATE * 2).fill(0.25);
    rig.send('/sl/0/hit', 's', ['record']);
    rig.render(BLOCK * 40, input);
    rig.send('/sl/0/hit', 's', ['record']);
    rig.render(BLOCK * 8);
    assert.ok(hostStatus(rig.engine, 0).tracks[0].frames > 0);
    rig.send('/loop_del', 'i', [0]);
    rig.render(BLOCK);
    assert.deepEqual([rig.live(), rig.shown()], [[], []]);
    rig.send('/loop_add', 'if', [2, 40]);
    rig.render(BLOCK);
    const t = hostStatus(rig.engine, 0).tracks[0];
    assert.deepEqual([t.live, t.state, t.frames, t.layers], [true, 'empty', 0, 0]);
    const p = rig.panel.snapshot().tracks[0];
    assert.deepEqual([p.live, p.state, p.frames], [true, 'empty', 0]);
    assert.equal(rig.engine.loopData(1), null);
  });

  it('every track a loop: /loop_add gives SooperLooper\'s answer (no loop-count message) and a clear warning', () => {
    const rig = new Rig();
    rig.send('/register', 'ss', ['osc.udp://127.0.0.1:9000/', '/loops']);
    rig.send('/loop_add', 'if', [2, 40]);
    rig.send('/loop_add', 'if', [2, 40]);
    rig.render(BLOCK);
    const counts = () => rig.replies.filter((r) => r.path === '/loops').map((r) => r.args[2]);
    assert.deepEqual(counts(), [2, 3]);
    rig.send('/loop_add', 'if', [2, 40]);
    rig.render(BLOCK);
    assert.deepEqual(counts(), [2, 3]);
    assert.deepEqual(rig.warnings, ['/loop_add: no free track: every one of the 3 tracks is a loop already (start with more tracks for more loops)']);
    assert.deepEqual(rig.live(), [1, 2, 3]);
  });

  it('the panel learns the set from a status too (a page that missed the events)', () => {
    const rig = new Rig();
    rig.engine.command(parseCommand({ command: 'addLoop', track: 3 }, TRACKS).cmd, 3, rig.engine.frame);
    rig.engine.process(BLOCK);
    rig.engine.events.drain(() => undefined);
    const panel = new PanelState({ name: 'late', tracks: TRACKS, bpm: 120, beatsPerBar: 4, metronome: false, quantize: 'off', sampleRate: RATE, blockFrames: BLOCK });
    const out = panel.applyStatus(hostStatus(rig.engine, 0));
    assert.deepEqual(panel.snapshot().tracks.map((t) => t.live), [true, false, true]);
    assert.deepEqual(out.filter((e) => e.type === 'track').map((e) => e.type === 'track' && [e.track.track, e.track.live]), [[2, false]]);
  });
});
