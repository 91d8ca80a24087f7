import { strict as assert } from 'assert';
import type { HostStatus } from '../../lib/io/client';
import type { HostEvent, TrackStatus } from '../../lib/io/protocol';
import { PanelSettings, PanelState } from '../../lib/panel/panel-state';

// PanelState folds the engine's events into what a page shows: loop anchors (for the progress ring),
// pending actions, tempo, levels, xruns; and merges status replies without racing the events.

const SETTINGS: PanelSettings = { name: 'test', tracks: 2, bpm: 120, beatsPerBar: 4, metronome: true, quantize: 'bar', sampleRate: 48000, blockFrames: 256 };

const state = (track: number, s: string, frame: number, frames = 0): HostEvent =>
  ({ type: 'state', track, state: s, frame, frames, seconds: frames / 48000, bars: frames / 96000 }) as HostEvent;

function trackStatus(track: number, overrides: Partial<TrackStatus & { position: number }> = {}): TrackStatus {
  return { track, state: 'empty', frames: 0, seconds: 0, bars: 0, layers: 0, volume: 1, pan: 0, muted: false, soloed: false, ...overrides };
}
function status(frame: number, tracks: TrackStatus[], overrides: Partial<HostStatus> = {}): HostStatus {
  return { frame, bpm: 120, beatsPerBar: 4, metronome: true, xruns: 0, tracks, ...overrides };
}

describe('panel state', () => {
  it('starts from the engine settings: every track empty, no beat, engine stopped', () => {
    const s = new PanelState(SETTINGS).snapshot();
    assert.equal(s.type, 'snapshot');
    assert.equal(s.name, 'test');
    assert.deepEqual(s.tracks.map((t) => [t.track, t.state, t.frames, t.anchor, t.pending]), [
      [1, 'empty', 0, null, null],
      [2, 'empty', 0, null, null],
    ]);
    assert.equal(s.bpm, 120);
    assert.equal(s.quantize, 'bar');
    assert.equal(s.beat, null);
    assert.equal(s.engine.status, 'stopped');
  });

  it('routing: the channel counts in the snapshot, each track\'s input and cue bus from status replies', () => {
    assert.deepEqual(new PanelState(SETTINGS).snapshot().routing, { inputChannels: 2, outputBuses: 1 });
    const p = new PanelState({ ...SETTINGS, inputChannels: 4, outputBuses: 2 });
    assert.deepEqual(p.snapshot().routing, { inputChannels: 4, outputBuses: 2 });
    assert.deepEqual(p.snapshot().tracks.map((t) => [t.source, t.cueBus]), [[0, 0], [0, 0]]);
    const events = p.applyStatus(status(1000, [trackStatus(1, { source: -3, cueBus: 2, cueSend: 1 }), trackStatus(2, { source: 0, cueBus: 0 })]), true);
    assert.deepEqual(events.map((e) => e.type), ['track']);
    assert.deepEqual(p.snapshot().tracks.map((t) => [t.source, t.cueBus]), [[-3, 2], [0, 0]]);
    assert.deepEqual(p.applyStatus(status(2000, [trackStatus(1, { source: -3, cueBus: 2 }), trackStatus(2, { source: 0, cueBus: 0 })])), [], 'nothing changed');
  });

  it('a recording that ends anchors the loop at its end; overdub and stop keep the anchor; clear drops it', () => {
    const p = new PanelState(SETTINGS);
    assert.ok(p.apply({ type: 'pending', track: 1, state: 'recording', frame: 96000 }));
    assert.equal(p.snapshot().tracks[0].pending, 'recording');
    p.apply(state(1, 'recording', 96000));
    let t = p.snapshot().tracks[0];
    assert.deepEqual([t.state, t.pending, t.since, t.anchor], ['recording', null, 96000, null]);
    p.apply(state(1, 'playing', 288000, 192000));
    t = p.snapshot().tracks[0];
    assert.deepEqual([t.state, t.frames, t.anchor, t.since], ['playing', 192000, 288000, 288000]);
    p.apply(state(1, 'overdubbing', 480000, 192000));
    p.apply(state(1, 'stopped', 500000, 192000));
    assert.equal(p.snapshot().tracks[0].anchor, 288000);
    p.apply(state(1, 'empty', 600000));
    t = p.snapshot().tracks[0];
    assert.deepEqual([t.state, t.frames, t.anchor], ['empty', 0, null]);
  });

  it('an undo back to an earlier loop brings back the anchor that loop had', () => {
    const p = new PanelState(SETTINGS);
    p.apply(state(1, 'recording', 0));
    p.apply(state(1, 'playing', 96000, 96000));
    // a new take over the old loop (record on a loop), ending at 480000 with another length
    p.apply(state(1, 'recording', 384000, 96000));
    p.apply(state(1, 'playing', 576000, 192000));
    assert.equal(p.snapshot().tracks[0].anchor, 576000);
    // undo: the first loop again
    p.apply(state(1, 'playing', 600000, 96000));
    assert.equal(p.snapshot().tracks[0].anchor, 96000);
    // a length it never saw recorded: unknown
    p.apply(state(1, 'playing', 700000, 12345));
    assert.equal(p.snapshot().tracks[0].anchor, null);
  });

  it('beats, tempo, levels, xruns, layers and errors pass through and update the snapshot', () => {
    const p = new PanelState(SETTINGS);
    const beat: HostEvent = { type: 'beat', frame: 24000, beat: 1, beatInBar: 1, bar: 0, downbeat: false };
    assert.equal(p.apply(beat), beat);
    assert.deepEqual(p.snapshot().beat, { frame: 24000, beat: 1, beatInBar: 1, bar: 0, downbeat: false });
    p.apply({ type: 'tempo', frame: 48000, bpm: 90, beatsPerBar: 3 });
    p.apply({ type: 'levels', input: [0.1, 0.2], output: [0.3, 0.4], frame: 1 });
    p.apply({ type: 'xrun', count: 3, frame: 5 });
    p.apply({ type: 'layers', track: 2, frame: 5, undo: 2, redo: 1 });
    const err: HostEvent = { type: 'error', track: 1, message: 'play: the track is empty' };
    assert.equal(p.apply(err), err);
    const s = p.snapshot();
    assert.deepEqual([s.bpm, s.beatsPerBar, s.xruns], [90, 3, 3]);
    assert.deepEqual(s.levels, { input: [0.1, 0.2], output: [0.3, 0.4] });
    assert.deepEqual([s.tracks[1].undo, s.tracks[1].redo], [2, 1]);
  });

  it('ignores tracks it does not have and replies (nothing to stream)', () => {
    const p = new PanelState(SETTINGS);
    assert.equal(p.apply(state(3, 'recording', 0)), undefined);
    assert.equal(p.apply({ type: 'pending', track: 0, state: 'recording', frame: 0 }), undefined);
    assert.equal(p.apply({ type: 'reply', id: 1, ok: true }), undefined);
  });

  it('the snapshot is a copy: changing it changes nothing inside', () => {
    const p = new PanelState(SETTINGS);
    const s = p.snapshot();
    s.tracks[0].state = 'playing';
    s.levels.input[0] = 1;
    assert.equal(p.snapshot().tracks[0].state, 'empty');
    assert.equal(p.snapshot().levels.input[0], 0);
  });

  it('engine status: an event only when something changed; the ready event supplies backend and notice', () => {
    const p = new PanelState(SETTINGS);
    const ready = { type: 'ready' as const, backend: 'null' as const, sampleRate: 44100, blockFrames: 128, inputDevice: '', outputDevice: '', notice: 'no sound: no card', soundDelayFrames: 256 };
    const e = p.setEngine('no-device', ready);
    assert.deepEqual(e, { type: 'engine', engine: { status: 'no-device', backend: 'null', notice: 'no sound: no card', restored: null, autosaveOff: null, sampleRate: 44100, blockFrames: 128, soundDelayFrames: 256 } });
    assert.equal(p.setEngine('no-device', ready), undefined);
    assert.equal(p.setEngine('crashed', undefined)?.engine.backend, null);
    // a session folder that is not autosaved: the page shows it
    const unsaved = { ...ready, autosaveOff: 'the session folder /x could not be used: ...; nothing is autosaved' };
    assert.equal(p.setEngine('running', unsaved)?.engine.autosaveOff, unsaved.autosaveOff);
  });

  it('status: mixer values and tempo are taken at once, and reported as events', () => {
    const p = new PanelState(SETTINGS);
    const events = p.applyStatus(status(1000, [trackStatus(1, { volume: 0.5, muted: true }), trackStatus(2)], { bpm: 100, xruns: 2, metronome: false }));
    assert.deepEqual(events, [
      { type: 'transport', bpm: 100, beatsPerBar: 4, metronome: false },
      { type: 'xrun', count: 2, frame: 1000 },
      { type: 'mixer', track: 1, volume: 0.5, muted: true, soloed: false },
    ]);
    assert.deepEqual(p.applyStatus(status(2000, [trackStatus(1, { volume: 0.5, muted: true }), trackStatus(2)], { bpm: 100, xruns: 2, metronome: false })), []);
  });

  it('status: a state the events have not brought yet is taken only when a second poll agrees', () => {
    const p = new PanelState(SETTINGS);
    const playing = trackStatus(1, { state: 'playing', frames: 96000, layers: 1 });
    // the state event may just be on its way (events wait until they sound)
    assert.deepEqual(p.applyStatus(status(100000, [playing, trackStatus(2)])), []);
    assert.equal(p.snapshot().tracks[0].state, 'empty');
    const events = p.applyStatus(status(196000, [playing, trackStatus(2)]));
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'track');
    const t = p.snapshot().tracks[0];
    assert.deepEqual([t.state, t.frames, t.anchor, t.since], ['playing', 96000, null, null]);
  });

  it('status: when the event arrives in between, the disagreement is forgotten', () => {
    const p = new PanelState(SETTINGS);
    const playing = trackStatus(1, { state: 'playing', frames: 96000 });
    p.applyStatus(status(100000, [playing]));
    p.apply(state(1, 'recording', 4000));
    p.apply(state(1, 'playing', 100000, 96000));
    assert.deepEqual(p.applyStatus(status(150000, [playing])), []);
    assert.equal(p.snapshot().tracks[0].anchor, 100000);
  });

  it('status: the first one after the engine came up is taken at once (a redeployed panel learns the loops)', () => {
    const p = new PanelState(SETTINGS);
    const events = p.applyStatus(status(500000, [trackStatus(1, { state: 'stopped', frames: 96000, bars: 1 })]), true);
    assert.equal(events.length, 1);
    assert.equal(p.snapshot().tracks[0].state, 'stopped');
  });

  it('status: a host that reports the loop position gives the anchor; the same phase later is no news', () => {
    const p = new PanelState(SETTINGS);
    p.applyStatus(status(500000, [trackStatus(1, { state: 'playing', frames: 96000, position: 20000 })]), true);
    assert.equal(p.snapshot().tracks[0].anchor, 480000);
    // a loop later: the anchor it implies is one loop further on, the same phase
    assert.deepEqual(p.applyStatus(status(600000, [trackStatus(1, { state: 'playing', frames: 96000, position: 24000 })])), []);
    assert.equal(p.snapshot().tracks[0].anchor, 480000);
    // a moved phase (an undo to a loop recorded elsewhere) is taken
    const moved = p.applyStatus(status(700000, [trackStatus(1, { state: 'playing', frames: 96000, position: 1000 })]));
    assert.equal(moved.length, 1);
    assert.equal(p.snapshot().tracks[0].anchor, 699000);
  });

  it('Link: the snapshot carries the session\'s peers; a link event is streamed only when they or start/stop change', () => {
    const p = new PanelState(SETTINGS);
    assert.equal(p.snapshot().link, null);
    assert.deepEqual(p.applyLink({ peers: 1, playing: false }), { type: 'link', peers: 1, playing: false });
    assert.equal(p.applyLink({ peers: 1, playing: false }), undefined);
    assert.deepEqual(p.applyLink({ peers: 2, playing: false }), { type: 'link', peers: 2, playing: false });
    assert.deepEqual(p.snapshot().link, { peers: 2, playing: false });
  });
});
