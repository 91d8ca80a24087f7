import { strict as assert } from 'assert';
import { EventEmitter } from 'events';
import * as path from 'path';
import { announceRestores, RESTORED_CHANNEL, RestoredEvent, restoreNotice } from '../../lib/control/restore-notice';
import type { EngineConnection } from '../../lib/control/engine-connection';
import type { Translate } from '../../lib/control/wiring';
import type { HostStatus } from '../../lib/io/client';
import type { HostEvent, TrackStatus } from '../../lib/io/protocol';
import { PanelState } from '../../lib/panel/panel-state';

// A start that restores loops from the autosave is announced in one line (log, npm start, panel)
// that names the folder to delete to start empty; nothing is said when nothing came back.

type SessionEvent = Extract<HostEvent, { type: 'session' }>;

const english: Translate = (_key, _params, text) => text;
const DIR = path.join(path.sep, 'home', 'pi', '.node-red', 'loopstation-sessions');
const AUTOSAVE = path.join(DIR, 'autosave');

function sessionEvent(tracks: SessionEvent['tracks'], reason: SessionEvent['reason'] = 'start'): SessionEvent {
  return { type: 'session', reason, name: 'autosave', restored: true, tracks, recovered: [], problems: [] };
}
function track(n: number, frames: number, state: TrackStatus['state'] = 'playing'): TrackStatus {
  return { track: n, state, frames, seconds: frames / 48000, bars: 0, layers: frames > 0 ? 1 : 0, volume: 1, pan: 0, muted: false, soloed: false };
}
const status = (...tracks: TrackStatus[]): HostStatus => ({ frame: 0, bpm: 120, beatsPerBar: 4, metronome: true, xruns: 0, tracks });

describe('restore notice', () => {
  it('counts the restored loops and adds up their lengths, naming the autosave folder', () => {
    const e = sessionEvent([
      { track: 1, layers: 2, current: 1, state: 'playing' },
      { track: 3, layers: 1, current: 0, state: 'stopped' },
    ]);
    const notice = restoreNotice(e, status(track(1, 384000), track(2, 0, 'empty'), track(3, 96000, 'stopped')), DIR, english);
    assert.deepEqual(notice, {
      type: 'restored',
      text: `restored 2 loops (10.0 s) from ${AUTOSAVE}; clear or delete ${AUTOSAVE} to start empty`,
      loops: 2,
      seconds: 10,
      folder: AUTOSAVE,
    });
  });

  it('says "1 loop" for one, and passes the catalog key and parameters to the translator', () => {
    const calls: [string, Record<string, string | number>][] = [];
    const translate: Translate = (key, params, text) => {
      calls.push([key, params]);
      return text;
    };
    const notice = restoreNotice(sessionEvent([{ track: 2, layers: 1, current: 0, state: 'playing' }]), status(track(2, 72000)), DIR, translate);
    assert.equal(notice?.text, `restored 1 loop (1.5 s) from ${AUTOSAVE}; clear or delete ${AUTOSAVE} to start empty`);
    assert.deepEqual(calls, [['loopstation-engine.log.restored-one', { loops: 1, seconds: '1.5', folder: AUTOSAVE }]]);
  });

  it('says nothing for an empty autosave, tracks whose layers all failed, or a session the user loaded', () => {
    assert.equal(restoreNotice(sessionEvent([]), status(track(1, 0, 'empty')), DIR, english), undefined);
    assert.equal(restoreNotice(sessionEvent([{ track: 1, layers: 0, current: -1, state: 'empty' }]), status(track(1, 0, 'empty')), DIR, english), undefined);
    const loaded = sessionEvent([{ track: 1, layers: 1, current: 0, state: 'playing' }], 'load');
    assert.equal(restoreNotice(loaded, status(track(1, 48000)), DIR, english), undefined);
  });

  it('announceRestores logs the line and emits it on the connection once the host answers its status', async () => {
    const connection = Object.assign(new EventEmitter(), {
      requests: [] as unknown[],
      request(query: unknown): Promise<unknown> {
        this.requests.push(query);
        return Promise.resolve(status(track(1, 96000)));
      },
    });
    const logged: string[] = [];
    const emitted: RestoredEvent[] = [];
    connection.on(RESTORED_CHANNEL, (e: RestoredEvent) => emitted.push(e));
    announceRestores(connection as unknown as EngineConnection, DIR, english, (line) => logged.push(line));

    connection.emit('session', sessionEvent([], 'start'));
    connection.emit('session', sessionEvent([{ track: 1, layers: 1, current: 0, state: 'playing' }], 'load'));
    assert.deepEqual(connection.requests, [], 'nothing restored at start, or a load: no status asked');

    connection.emit('session', sessionEvent([{ track: 1, layers: 1, current: 0, state: 'playing' }]));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(connection.requests, [{ type: 'status' }]);
    assert.deepEqual(logged, [`restored 1 loop (2.0 s) from ${AUTOSAVE}; clear or delete ${AUTOSAVE} to start empty`]);
    assert.equal(emitted.length, 1);
    assert.equal(emitted[0].text, logged[0]);
  });

  it('the panel shows it until the host starts again, through engine status changes', () => {
    const p = new PanelState({ name: 't', tracks: 1, bpm: 120, beatsPerBar: 4, metronome: true, quantize: 'bar', sampleRate: 48000, blockFrames: 256 });
    p.setEngine('running', undefined);
    assert.equal(p.snapshot().engine.restored, null);
    const e = p.setRestored('restored 1 loop (2.0 s) from x; clear or delete x to start empty');
    assert.equal(e.engine.restored, 'restored 1 loop (2.0 s) from x; clear or delete x to start empty');
    assert.equal(p.setEngine('no-device', undefined)?.engine.restored, e.engine.restored, 'kept across a status change');
    assert.equal(p.setEngine('starting', undefined)?.engine.restored, null, 'a restarting host announces anew');
  });
});
