import { booleanOf, numberIn } from '../engine/commands';
import { LIMITS } from '../engine/types';
import { HostEvent } from '../io/protocol';
import { CommandRequest, commandRequest, emptyObject, refuse, unknownKey, wordOf } from './commands';
import { NodeType } from './constants';
import { LevelThrottle } from './level-throttle';
import { levelMsg, levelRate } from './levels';
import { isPlainObject } from './objects';
import { optionalBoolean, optionalNumber } from './settings';
import { EngineStatus, StatusColor, StatusShape } from './status';
import { Controller, ControllerContext } from './wiring';

// The input side: the input gain (before monitoring and recording), whether (and how loud) the input
// is monitored, and the input's levels out. The
// device itself is the engine's (config node) setting: one host, one device.

export interface MonitorChange {
  monitor?: boolean;
  volume?: number;
  gain?: number;
}

const KEYS = ['monitor', 'volume', 'gain'];
const ACCEPTED = `true/false or "on"/"off" (monitor), a monitor volume from 0 to ${LIMITS.volume[1]}, or {monitor, volume, gain}`;

export function parseAudioInPayload(payload: unknown): MonitorChange {
  if (typeof payload === 'boolean') return { monitor: payload };
  if (typeof payload === 'number') return { volume: numberIn(payload, 'msg.payload (monitor volume)', LIMITS.volume) };
  const word = wordOf(payload);
  if (word === 'on' || word === 'off') return { monitor: word === 'on' };
  if (isPlainObject(payload)) {
    const unknown = Object.keys(payload).find((k) => !KEYS.includes(k));
    if (unknown !== undefined) throw unknownKey('msg.payload', unknown, KEYS);
    const change: MonitorChange = {};
    if (payload.monitor !== undefined) change.monitor = booleanOf(payload.monitor, 'msg.payload.monitor');
    if (payload.volume !== undefined) change.volume = numberIn(payload.volume, 'msg.payload.volume', LIMITS.volume);
    if (payload.gain !== undefined) change.gain = numberIn(payload.gain, 'msg.payload.gain', LIMITS.volume);
    if (change.monitor === undefined && change.volume === undefined && change.gain === undefined) throw emptyObject('msg.payload', KEYS);
    return change;
  }
  throw refuse('msg.payload', payload, 'is not an audio in setting', ACCEPTED);
}

export function monitorRequests(change: MonitorChange, tracks: number): CommandRequest[] {
  const out: CommandRequest[] = [];
  if (change.monitor !== undefined) out.push(commandRequest('monitor', 0, change.monitor, tracks));
  if (change.volume !== undefined) out.push(commandRequest('monitorVolume', 0, change.volume, tracks));
  if (change.gain !== undefined) out.push(commandRequest('inputGain', 0, change.gain, tracks));
  return out;
}

type LevelsEvent = Extract<HostEvent, { type: 'levels' }>;

export class AudioInController implements Controller {
  readonly settings: MonitorChange;
  private readonly throttle: LevelThrottle;

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>) {
    this.settings = { monitor: optionalBoolean(def, 'monitor'), volume: optionalNumber(def, 'monitorVolume', LIMITS.volume) };
    this.throttle = new LevelThrottle(levelRate(def));
    ctx.listen<LevelsEvent>('levels', (e) => {
      const levels = this.throttle.add(e.input[0], e.input[1], ctx.now());
      if (levels) ctx.output(levelMsg('input', levels));
    });
  }

  input(msg: { payload?: unknown }): void {
    for (const req of monitorRequests(parseAudioInPayload(msg.payload), this.ctx.config.tracks)) this.ctx.send(req);
  }

  engineStatus(status: EngineStatus): void {
    if (status !== 'running' && status !== 'no-device') return;
    try {
      for (const req of monitorRequests(this.settings, this.ctx.config.tracks)) this.ctx.send(req);
    } catch {
      // the host went away again: its next start applies them
    }
    const device = this.ctx.ready()?.inputDevice || this.ctx.text(`${NodeType.AudioIn}.status.default-device`, {}, 'default device');
    this.ctx.status.setOwn({ fill: StatusColor.Green, shape: StatusShape.Dot, text: device });
  }
}
