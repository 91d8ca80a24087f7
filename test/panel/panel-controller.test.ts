import { strict as assert } from 'assert';
import { ConfigError } from '../../lib/control/errors';
import { PANEL_CHANNELS, PanelController, STATUS_POLL_MS } from '../../lib/panel/panel-controller';
import { DEFAULT_PANEL_PATH, PanelRegistry } from '../../lib/panel/routes';
import { FakeContext } from '../control/fake-context';
import { FakeResponse } from './fake-response';

// The panel node's behaviour without Node-RED: its path in the registry, host events streamed to the
// open pages, the pages' commands sent and reported on the output, the status, and the status poll
// while pages are open, on a manual clock.

function panel(def: Record<string, unknown> = {}, registry = new PanelRegistry()) {
  const ctx = new FakeContext({ tracks: 4 });
  const p = new PanelController(ctx, { id: 'p1', ...def }, registry);
  ctx.status.setEngine('running');
  return { ctx, p, registry };
}

function page(p: PanelController): FakeResponse {
  const res = new FakeResponse();
  p.hub.open(res);
  return res;
}

describe('panel: panel controller', () => {
  it('claims its path; a second panel on the same path (any case) is refused, naming the holder', () => {
    const registry = new PanelRegistry();
    const { p } = panel({ path: 'stage' }, registry);
    assert.equal(p.route, '/loopstation/stage/');
    assert.throws(() => panel({ id: 'p2', path: 'Stage' }, registry), (e: unknown) => e instanceof ConfigError && /served by another panel \(node p1\)/.test(e.message));
    p.close();
    assert.equal(registry.size, 0);
    panel({ id: 'p2', path: 'stage' }, registry).p.close();
  });

  it('refuses a bad path and takes the default for a blank one', () => {
    assert.throws(() => panel({ path: 'a/b' }), (e: unknown) => e instanceof ConfigError && /setting path: "a\/b" is not accepted/.test(e.message));
    const { p } = panel({ path: '' });
    assert.equal(p.route, `/loopstation/${DEFAULT_PANEL_PATH}/`);
    p.close();
  });

  it('takes no msgs', () => {
    const { p } = panel();
    assert.throws(() => p.input(), /the panel takes no msgs/);
    p.close();
  });

  it('streams the events of every channel it follows to the open pages', () => {
    const { ctx, p } = panel();
    for (const channel of PANEL_CHANNELS) assert.equal(ctx.listenerCount(channel), 1, channel);
    const res = page(p);
    ctx.emit({ type: 'state', track: 1, state: 'recording', frame: 100, frames: 0, seconds: 0, bars: 0 });
    ctx.emit({ type: 'beat', frame: 24000, beat: 1, beatInBar: 1, bar: 0, downbeat: false });
    ctx.emit({ type: 'state', track: 9, state: 'recording', frame: 100, frames: 0, seconds: 0, bars: 0 });
    assert.deepEqual(res.events().map((e) => e.event), ['snapshot', 'state', 'beat'], 'a track the engine does not have is not streamed');
    assert.equal(p.state.snapshot().tracks[0].state, 'recording');
    p.close();
    assert.equal(res.ended, true);
  });

  it('sends a page\'s command, echoes mixer values, and reports it on the output in msg words', () => {
    const { ctx, p } = panel({ path: 'stage' });
    const res = page(p);
    assert.deepEqual(p.hub.command({ command: 'volume', track: 2, value: 0.5 }).status, 200);
    assert.deepEqual(p.hub.command({ command: 'quantize', value: 'beat' }).status, 200);
    assert.deepEqual(p.hub.command({ command: 'metronome', value: false }).status, 200);
    assert.deepEqual(p.hub.command({ command: 'record', track: 9 }).status, 400);
    assert.deepEqual(ctx.commands(), [
      { command: 'volume', track: 2, value: 0.5 },
      { command: 'quantize', track: 0, value: 1 },
      { command: 'metronome', track: 0, value: 0 },
    ]);
    assert.deepEqual(ctx.outputs, [
      { topic: 'stage', payload: 'volume', track: 2, value: 0.5 },
      { topic: 'stage', payload: 'quantize', value: 'beat' },
      { topic: 'stage', payload: 'metronome', value: false },
    ]);
    assert.deepEqual(res.events().slice(1).map((e) => e.event), ['mixer', 'transport']);
    ctx.running = false;
    assert.deepEqual(p.hub.command({ command: 'play', track: 1 }).status, 503);
    p.close();
  });

  it('shows its route and how many pages are open; "no sound card" while the engine has no device', () => {
    const { ctx, p } = panel({ path: 'stage' });
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: '/loopstation/stage/' });
    const a = page(p);
    page(p);
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: '/loopstation/stage/ · 2 open' });
    a.emit('close');
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: '/loopstation/stage/ · 1 open' });
    ctx.status.setEngine('no-device');
    p.engineStatus('no-device');
    assert.deepEqual(ctx.shown, { fill: 'yellow', shape: 'dot', text: 'no sound card (null device) · /loopstation/stage/ · 1 open' });
    p.close();
  });

  it('an engine that comes up: its status streamed, then its tracks from a status request', async () => {
    const { ctx, p } = panel();
    const res = page(p);
    ctx.answer = () => ctx.hostStatus([{ track: 3, state: 'playing', frames: 96000, bars: 1, volume: 0.5 }]);
    p.engineStatus('running');
    await ctx.drain();
    const events = res.events().slice(1);
    assert.deepEqual(events[0], { event: 'engine', data: { type: 'engine', engine: { status: 'running', backend: null, notice: null, restored: null, autosaveOff: null, sampleRate: 48000, blockFrames: 256, soundDelayFrames: 0 } } });
    assert.equal(p.state.snapshot().tracks[2].state, 'playing');
    assert.equal(p.state.snapshot().tracks[2].volume, 0.5);
    p.close();
  });

  it('polls the engine status every STATUS_POLL_MS while a page is open, and stops when none is', async () => {
    const { ctx, p } = panel();
    p.engineStatus('running');
    await ctx.drain();
    const polls = () => ctx.queries.length - 1;
    ctx.clock.advance(STATUS_POLL_MS * 3);
    assert.equal(polls(), 0, 'no page, no poll');
    const res = page(p);
    for (let i = 1; i <= 3; i++) {
      ctx.clock.advance(STATUS_POLL_MS - 1);
      await ctx.drain();
      assert.equal(polls(), i - 1);
      ctx.clock.advance(1);
      await ctx.drain();
      assert.equal(polls(), i);
    }
    res.emit('close');
    ctx.clock.advance(STATUS_POLL_MS * 3);
    await ctx.drain();
    assert.equal(polls(), 3, 'no page left: the next tick stops polling');
    assert.equal(ctx.clock.pending, 0);
    page(p);
    p.close();
    assert.equal(ctx.clock.pending, 0, 'close cancels the poll');
  });

  it('while the engine is down it keeps the poll going without asking', async () => {
    const { ctx, p } = panel();
    p.engineStatus('crashed');
    page(p);
    ctx.clock.advance(STATUS_POLL_MS * 2);
    await ctx.drain();
    assert.equal(ctx.queries.length, 0);
    assert.equal(ctx.clock.pending, 1);
    p.close();
  });
});
