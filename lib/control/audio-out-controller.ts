import { InputError, numberIn } from '../engine/commands';
import { LIMITS } from '../engine/types';
import { HostEvent } from '../io/protocol';
import { commandRequest, emptyObject, refuse, unknownKey, wordOf } from './commands';
import { NodeType } from './constants';
import { NodeError } from './errors';
import { isPlainObject } from './objects';
import { optionalNumber } from './settings';
import { EngineStatus, StatusColor, StatusShape } from './status';
import { Controller, ControllerContext } from './wiring';

// The output side: master volume in, export of a mixdown, and xruns (dropouts) out and in the status.

export type AudioOutInput = { kind: 'volume'; volume: number } | { kind: 'export'; path?: string };

const ACCEPTED = `a master volume from 0 to ${LIMITS.volume[1]}, {volume}, "export" or {export: "file.wav"}`;

export function parseAudioOutPayload(payload: unknown): AudioOutInput {
  if (typeof payload === 'number') return { kind: 'volume', volume: numberIn(payload, 'msg.payload (master volume)', LIMITS.volume) };
  if (wordOf(payload) === 'export') return { kind: 'export' };
  if (isPlainObject(payload)) {
    const keys = Object.keys(payload);
    if (keys.length === 1 && keys[0] === 'volume') return { kind: 'volume', volume: numberIn(payload.volume, 'msg.payload.volume', LIMITS.volume) };
    if (keys.length === 1 && keys[0] === 'export') {
      if (typeof payload.export !== 'string' || payload.export === '') {
        throw refuse('msg.payload.export', payload.export, 'is not a file name', 'a path like "mixdown.wav"');
      }
      return { kind: 'export', path: payload.export };
    }
    if (keys.length === 0) throw emptyObject('msg.payload', ['volume', 'export']);
    const unknown = keys.find((k) => k !== 'volume' && k !== 'export');
    if (unknown !== undefined) throw unknownKey('msg.payload', unknown, ['volume', 'export']);
    throw new InputError('msg.payload', `volume and export together; accepted: one of them`);
  }
  throw refuse('msg.payload', payload, 'is not an audio out command', ACCEPTED);
}

type XrunEvent = Extract<HostEvent, { type: 'xrun' }>;
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
  }

  input(msg: { payload?: unknown }): void {
    const input = parseAudioOutPayload(msg.payload);
    if (input.kind === 'export') {
      // the session layer (lib/session) has no mixdown export yet, and the host protocol no request for it
      throw new NodeError(`${KEYS}.errors.export-unsupported`, {}, 'export mixdown is not supported yet: this version cannot write a mixdown; nothing was exported');
    }
    this.ctx.send(commandRequest('masterVolume', 0, input.volume, this.ctx.config.tracks));
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
    const text = this.xruns > 0 ? this.ctx.text(`${KEYS}.status.xruns`, { device, count: this.xruns }, `${device} · ${this.xruns} xruns`) : device;
    this.ctx.status.setOwn({ fill: this.xruns > 0 ? StatusColor.Yellow : StatusColor.Green, shape: StatusShape.Dot, text });
  }
}
