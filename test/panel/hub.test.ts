import { strict as assert } from 'assert';
import type { CommandRequest } from '../../lib/control/commands';
import { COMMANDS } from '../../lib/engine/types';
import { PanelHub } from '../../lib/panel/panel-hub';
import { PanelState } from '../../lib/panel/panel-state';
import { FakeResponse } from './fake-response';

// PanelHub: one Server-Sent Events stream per page, commands validated by the engine's parseCommand.

function hub(options: { send?: (req: CommandRequest) => boolean; heartbeatMs?: number } = {}) {
  const state = new PanelState({ name: 'hub', tracks: 4, bpm: 120, beatsPerBar: 4, metronome: true, quantize: 'bar', sampleRate: 48000, blockFrames: 256 });
  const sent: CommandRequest[] = [];
  const after: CommandRequest[] = [];
  const counts: number[] = [];
  const h = new PanelHub({
    tracks: 4,
    snapshot: () => state.snapshot(),
    send: options.send ?? ((req) => (sent.push(req), true)),
    sent: (req) => after.push(req),
    clientsChanged: (n) => counts.push(n),
    heartbeatMs: options.heartbeatMs ?? 0,
  });
  return { h, sent, after, counts };
}

describe('panel hub', () => {
  it('a stream gets SSE headers, a retry time and the snapshot first, then every broadcast', () => {
    const { h, counts } = hub();
    const res = new FakeResponse();
    h.open(res);
    assert.equal(res.status, 200);
    assert.equal(res.headers['Content-Type'], 'text/event-stream; charset=utf-8');
    assert.equal(res.headers['Cache-Control'], 'no-cache, no-transform');
    assert.ok(res.chunks[0].startsWith('retry: 1000\n\n'));
    h.broadcast({ type: 'beat', frame: 1, beat: 0, beatInBar: 0, bar: 0, downbeat: true });
    const events = res.events();
    assert.deepEqual(events.map((e) => e.event), ['snapshot', 'beat']);
    assert.equal((events[0].data.tracks as unknown[]).length, 4);
    assert.equal(events[1].data.downbeat, true);
    assert.deepEqual(counts, [1]);
    assert.equal(h.clientCount, 1);
    res.emit('close');
    assert.equal(h.clientCount, 0);
    assert.deepEqual(counts, [1, 0]);
    h.close();
  });

  it('a page that reads too slowly misses levels first, then is dropped (it reconnects to a snapshot)', () => {
    const { h, counts } = hub();
    const slow = new FakeResponse();
    const fast = new FakeResponse();
    h.open(slow);
    h.open(fast);
    slow.writableLength = 100 * 1024;
    h.broadcast({ type: 'levels', input: [0, 0], output: [0.5, 0.5] });
    h.broadcast({ type: 'xrun', count: 1, frame: 0 });
    assert.deepEqual(slow.events().map((e) => e.event), ['snapshot', 'xrun']);
    assert.deepEqual(fast.events().map((e) => e.event), ['snapshot', 'levels', 'xrun']);
    slow.writableLength = 2 * 1024 * 1024;
    h.broadcast({ type: 'xrun', count: 2, frame: 0 });
    assert.equal(slow.ended, true);
    assert.equal(h.clientCount, 1);
    assert.deepEqual(counts, [1, 2, 1]);
    h.close();
  });

  it('a keepalive comment goes out on the heartbeat', async () => {
    const { h } = hub({ heartbeatMs: 20 });
    const res = new FakeResponse();
    h.open(res);
    // the interval's first turn, whenever the event loop gets to it
    while (!res.chunks.includes(': keepalive\n\n')) await new Promise((resolve) => setImmediate(resolve));
    h.close();
  });

  it('close ends every stream, and a stream opened after it is refused with 503', () => {
    const { h, counts } = hub();
    const a = new FakeResponse();
    h.open(a);
    h.close();
    assert.equal(a.ended, true);
    assert.deepEqual(counts, [1, 0]);
    const b = new FakeResponse();
    h.open(b);
    assert.equal(b.status, 503);
    assert.equal(b.ended, true);
    assert.equal(h.command({ command: 'toggle', track: 1 }).status, 503);
  });

  it('commands: validated by parseCommand and sent as host requests', () => {
    const { h, sent, after } = hub();
    assert.deepEqual(h.command({ command: 'toggle', track: 1 }), { status: 200, body: { ok: true, command: 'toggle', track: 1, value: 0 } });
    assert.deepEqual(h.command({ command: 'volume', track: '2', value: '0.5' }).status, 200);
    assert.deepEqual(h.command({ command: 'bpm', value: 96 }).status, 200);
    assert.deepEqual(h.command({ command: 'metronome', value: false }).status, 200);
    assert.deepEqual(sent, [
      { type: 'command', command: 'toggle', track: 1, value: 0 },
      { type: 'command', command: 'volume', track: 2, value: 0.5 },
      { type: 'command', command: 'bpm', track: 0, value: 96 },
      { type: 'command', command: 'metronome', track: 0, value: 0 },
    ]);
    assert.deepEqual(after, sent);
  });

  const refusals: [string, unknown, string][] = [
    ['not an object', [1, 2], 'body: not a command; accepted: {"command": "<name>", "track": <n>, "value": <v>}'],
    ['null', null, 'body: not a command; accepted: {"command": "<name>", "track": <n>, "value": <v>}'],
    ['an unknown command', { command: 'rec', track: 1 }, `command: unknown command "rec"; accepted: ${COMMANDS.join(', ')}`],
    ['no track', { command: 'play' }, 'track: missing; "play" needs a track from 1 to 4'],
    ['a track out of range', { command: 'play', track: 5 }, 'track: 5 is out of range; accepted: an integer from 1 to 4'],
    ['a fractional track', { command: 'play', track: 1.5 }, 'track: 1.5 is out of range; accepted: an integer from 1 to 4'],
    ['a volume out of range', { command: 'volume', track: 1, value: 3 }, 'value: 3 is out of range; accepted: a number from 0 to 2'],
    ['a bpm that is not a number', { command: 'bpm', value: 'fast' }, 'value: "fast" is not a number; accepted: a number from 20 to 400'],
    ['a bad quantize mode', { command: 'quantize', value: 'bars' }, 'value: "bars" is not a quantize mode; accepted: off, beat, bar, loop'],
  ];
  for (const [what, body, message] of refusals) {
    it(`commands: ${what} is answered 400 with what is accepted, and nothing is sent`, () => {
      const { h, sent } = hub();
      assert.deepEqual(h.command(body), { status: 400, body: { error: message } });
      assert.deepEqual(sent, []);
      h.close();
    });
  }

  it('commands: 503 when no engine host runs', () => {
    const { h, after } = hub({ send: () => false });
    assert.deepEqual(h.command({ command: 'toggle', track: 1 }), { status: 503, body: { error: 'the engine is not running: the command was not sent' } });
    assert.deepEqual(after, []);
  });
});
