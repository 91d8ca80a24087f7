import { InputError, numberIn } from '../engine/commands';
import { LIMITS } from '../engine/types';
import { HostEvent, SESSION_COMMANDS, SessionCommandName, SessionRequest } from '../io/protocol';
import { MAX_EXPORT_LOOPS } from '../session/export';
import { sessionName } from '../session/names';
import { commandRequest, emptyObject, refuse, unknownKey, wordOf } from './commands';
import { NodeType } from './constants';
import { NodeMessage } from './red';
import { isPlainObject } from './objects';
import { optionalNumber } from './settings';
import { EngineStatus, StatusColor, StatusShape } from './status';
import { Controller, ControllerContext } from './wiring';

// The output side: master volume in; sessions (save, load, list, delete, import, export of a mixdown and
// stems), answered by the engine host; xruns (dropouts) out and in the status.

export type AudioOutInput = { kind: 'volume'; volume: number } | { kind: 'session'; request: SessionRequest };

const ACCEPTED = `a master volume from 0 to ${LIMITS.volume[1]}, {volume}, "export", {export: "name"} or {command: "${SESSION_COMMANDS.join('"|"')}", name}`;

/** An export with no name: a folder named by the time, e.g. mix-2024-05-01-21-30-00. */
export function defaultExportName(now = new Date()): string {
  return `mix-${now.toISOString().slice(0, 19).replace(/[T:]/g, '-')}`;
}

/**
 * A session command, from msg.payload {command, name, ...} or from msg.command (msg.name, msg.track,
 * msg.file, msg.loops): names are checked here (no paths), so a bad one never reaches the host.
 */
export function parseSessionCommand(src: Record<string, unknown>, at: string): SessionRequest {
  const command = wordOf(src.command) as SessionCommandName | undefined;
  if (command === undefined || !SESSION_COMMANDS.includes(command)) {
    throw refuse(`${at}command`, src.command, 'is not a session command', SESSION_COMMANDS.join(', '));
  }
  const field = `${at}name`;
  switch (command) {
    case 'list':
      return { command };
    case 'save':
    case 'delete':
    case 'load':
      return { command, name: sessionName(src.name, field) };
    case 'export': {
      const name = src.name === undefined || src.name === '' ? defaultExportName() : sessionName(src.name, field, true);
      const loops = src.loops === undefined ? undefined : numberIn(src.loops, `${at}loops`, [1, MAX_EXPORT_LOOPS], true);
      return loops === undefined ? { command, name } : { command, name, loops };
    }
    case 'import': {
      const track = numberIn(src.track, `${at}track`, LIMITS.tracks, true);
      if (typeof src.file !== 'string' || src.file === '') throw refuse(`${at}file`, src.file, 'is not a file', 'a WAV file: an absolute path, or one relative to the session folder');
      return { command, track, file: src.file };
    }
  }
}

export function parseAudioOutPayload(payload: unknown): AudioOutInput {
  if (typeof payload === 'number') return { kind: 'volume', volume: numberIn(payload, 'msg.payload (master volume)', LIMITS.volume) };
  if (wordOf(payload) === 'export') return { kind: 'session', request: { command: 'export', name: defaultExportName() } };
  if (isPlainObject(payload)) {
    if ('command' in payload) return { kind: 'session', request: parseSessionCommand(payload, 'msg.payload.') };
    const keys = Object.keys(payload);
    if (keys.length === 1 && keys[0] === 'volume') return { kind: 'volume', volume: numberIn(payload.volume, 'msg.payload.volume', LIMITS.volume) };
    if (keys.length === 1 && keys[0] === 'export') {
      if (typeof payload.export !== 'string' || payload.export === '') {
        throw refuse('msg.payload.export', payload.export, 'is not a name', 'a name like "take1" (the folder in <session folder>/exports)');
      }
      return { kind: 'session', request: { command: 'export', name: sessionName(payload.export, 'msg.payload.export', true) } };
    }
    if (keys.length === 0) throw emptyObject('msg.payload', ['volume', 'export', 'command']);
    const unknown = keys.find((k) => k !== 'volume' && k !== 'export');
    if (unknown !== undefined) throw unknownKey('msg.payload', unknown, ['volume', 'export', 'command']);
    throw new InputError('msg.payload', `volume and export together; accepted: one of them`);
  }
  throw refuse('msg.payload', payload, 'is not an audio out command', ACCEPTED);
}

type XrunEvent = Extract<HostEvent, { type: 'xrun' }>;
type SessionEvent = Extract<HostEvent, { type: 'session' }>;
const KEYS = NodeType.AudioOut;

export class AudioOutController implements Controller {
  readonly masterVolume: number | undefined;
  private xruns = 0;

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>) {
    this.masterVolume = optionalNumber(def, 'masterVolume', LIMITS.volume);
    ctx.listen<XrunEvent>('xrun', (e) => {
      this.xruns = e.count;
      ctx.output({ topic: 'xrun', payload: e.count, frame: e.frame });
      this.show();
    });
    // the session folder was restored (at start: the autosave, with any recovered takes) or loaded
    ctx.listen<SessionEvent>('session', (e) => {
      const { type: _type, ...payload } = e;
      ctx.output({ topic: 'session', payload });
    });
  }

  input(msg: NodeMessage): void | Promise<void> {
    const input = typeof msg.command === 'string' ? { kind: 'session' as const, request: parseSessionCommand(msg, 'msg.') } : parseAudioOutPayload(msg.payload);
    if (input.kind === 'session') return this.session(msg, input.request);
    this.ctx.send(commandRequest('masterVolume', 0, input.volume, this.ctx.config.tracks));
  }

  /** Asks the host; its answer goes out as msg.payload (msg.topic: the command). */
  private async session(msg: NodeMessage, request: SessionRequest): Promise<void> {
    const result = await this.ctx.request({ type: 'session', ...request });
    this.ctx.output({ ...msg, topic: request.command, payload: result });
  }

  engineStatus(status: EngineStatus): void {
    if (status !== 'running' && status !== 'no-device') return;
    this.xruns = 0;
    if (this.masterVolume !== undefined) {
      try {
        this.ctx.send(commandRequest('masterVolume', 0, this.masterVolume, this.ctx.config.tracks));
      } catch {
        // the host went away again: its next start applies it
      }
    }
    this.show();
  }

  private show(): void {
    const device = this.ctx.ready()?.outputDevice || this.ctx.text(`${KEYS}.status.default-device`, {}, 'default device');
    let text = this.xruns > 0 ? this.ctx.text(`${KEYS}.status.xruns`, { device, count: this.xruns }, `${device} · ${this.xruns} xruns`) : device;
    // the output node speaks for the engine: a session folder that is not autosaved shows here
    if (this.ctx.ready()?.autosaveOff) text = this.ctx.text(`${KEYS}.status.autosave-off`, { status: text }, `${text} · autosave off`);
    this.ctx.status.setOwn({ fill: this.xruns > 0 ? StatusColor.Yellow : StatusColor.Green, shape: StatusShape.Dot, text });
  }
}
