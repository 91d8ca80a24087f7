import * as path from 'path';
import type { HostStatus } from '../io/client';
import type { HostEvent } from '../io/protocol';
import { AUTOSAVE } from '../session/names';
import type { EngineConnection } from './engine-connection';
import type { Translate } from './wiring';

// A host that starts on a session folder plays the loops it finds in the autosave (that is how loops
// survive a restart or a crash). Nobody expects loops on a fresh `npm start` without being told, so
// the start's restore is announced in one line, with the folder to delete to start empty: in the
// Node-RED log (npm start repeats it in its banner) and on the panel (the connection's 'restored'
// channel carries it).

type SessionEvent = Extract<HostEvent, { type: 'session' }>;

/** The connection channel the announcement goes out on, and what it carries. */
export const RESTORED_CHANNEL = 'restored';
export interface RestoredEvent {
  type: 'restored';
  text: string;
  loops: number;
  seconds: number;
  folder: string;
}

const KEYS = 'loopstation-engine.log';

/**
 * What to say about a start's restore, or undefined when nothing came back (an empty or missing autosave,
 * or a 'load', which the user asked for). loops: the tracks restored with a loop, as the host's status
 * has them right after the restore; seconds: their lengths added up.
 */
export function restoreNotice(e: SessionEvent, status: Pick<HostStatus, 'tracks'>, sessionDir: string, text: Translate): RestoredEvent | undefined {
  if (e.reason !== 'start') return undefined;
  const restoredTracks = new Set(e.tracks.filter((t) => t.layers > 0).map((t) => t.track));
  const loops = status.tracks.filter((t) => restoredTracks.has(t.track) && t.frames > 0);
  if (loops.length === 0) return undefined;
  const seconds = loops.reduce((sum, t) => sum + t.seconds, 0);
  const folder = path.join(sessionDir, AUTOSAVE);
  const params = { loops: loops.length, seconds: seconds.toFixed(1), folder };
  const one = loops.length === 1;
  const english = `restored ${one ? '1 loop' : `${params.loops} loops`} (${params.seconds} s) from ${folder}; clear or delete ${folder} to start empty`;
  return { type: 'restored', text: text(`${KEYS}.restored-${one ? 'one' : 'many'}`, params, english), loops: loops.length, seconds, folder };
}

/**
 * Announces each start's restore of `connection`'s host: log(text), then the 'restored' channel.
 * The host's status is asked for once per restore (the restore event names tracks, not lengths).
 */
export function announceRestores(connection: EngineConnection, sessionDir: string, text: Translate, log: (line: string) => void): void {
  connection.on('session', (e: SessionEvent) => {
    if (e.reason !== 'start' || !e.tracks.some((t) => t.layers > 0)) return;
    connection.request({ type: 'status' }).then(
      (status) => {
        const notice = restoreNotice(e, status as HostStatus, sessionDir, text);
        if (!notice) return;
        log(notice.text);
        connection.emit(RESTORED_CHANNEL, notice);
      },
      () => undefined, // the host went away meanwhile: its exit is reported already
    );
  });
}
