import { booleanOf, numberIn } from '../engine/commands';
import { sourceName } from '../engine/routing';
import { LIMITS } from '../engine/types';
import { HostEvent } from '../io/protocol';
import { CommandRequest, commandRequest, emptyObject, msgSource, refuse, unknownKey, wordOf } from './commands';
import { NodeType } from './constants';
import { LevelThrottle } from './level-throttle';
import { levelMsg, levelRate } from './levels';
import { isPlainObject } from './objects';
import { optionalBoolean, optionalNumber, optionalSource } from './settings';
import { EngineStatus, StatusColor, StatusShape } from './status';
import { Controller, ControllerContext } from './wiring';

// The input side: the input gain (before monitoring and recording), whether (and how loud) the input
// is monitored, and the input's levels out. The
// device itself is the engine's (config node) setting: one host, one device.

export interface MonitorChange {
  monitor?: boolean;
  volume?: number;
  gain?: number;
  /** the input heard and metered: a source code (lib/engine/routing.ts) */
  input?: number;
  /** the output bus the monitor goes to */
  bus?: number;
}

const KEYS = ['monitor', 'volume', 'gain', 'input', 'bus'];
const ACCEPTED = `true/false or "on"/"off" (monitor), a monitor volume from 0 to ${LIMITS.volume[1]}, or {monitor, volume, gain, input, bus}`;

/** The engine's channel counts, which an input or a bus must lie within. */
interface Channels {
  inputs: number;
  buses: number;
}

export function parseAudioInPayload(payload: unknown, channels: Channels = { inputs: 2, buses: 1 }): MonitorChange {
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
    if (payload.input !== undefined) change.input = msgSource(payload.input, channels.inputs, 'msg.payload.input');
    if (payload.bus !== undefined) change.bus = numberIn(payload.bus, 'msg.payload.bus', [1, channels.buses], true);
    if (Object.values(change).every((v) => v === undefined)) throw emptyObject('msg.payload', KEYS);
    return change;
  }
  throw refuse('msg.payload', payload, 'is not an audio in setting', ACCEPTED);
}

export function monitorRequests(change: MonitorChange, tracks: number): CommandRequest[] {
  const out: CommandRequest[] = [];
  if (change.monitor !== undefined) out.push(commandRequest('monitor', 0, change.monitor, tracks));
  if (change.volume !== undefined) out.push(commandRequest('monitorVolume', 0, change.volume, tracks));
  if (change.gain !== undefined) out.push(commandRequest('inputGain', 0, change.gain, tracks));
  if (change.input !== undefined) out.push(commandRequest('monitorInput', 0, change.input, tracks));
  if (change.bus !== undefined) out.push(commandRequest('monitorBus', 0, change.bus, tracks));
  return out;
}

type LevelsEvent = Extract<HostEvent, { type: 'levels' }>;

export class AudioInController implements Controller {
  readonly settings: MonitorChange;
  private readonly throttle: LevelThrottle;
  private readonly channels: Channels;
  /** each input channel's peak since the last level msg */
  private readonly channelPeaks: number[] = [];

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>) {
    this.channels = { inputs: ctx.config.inputChannels ?? 2, buses: (ctx.config.outputChannels ?? 2) / 2 };
    this.settings = { monitor: optionalBoolean(def, 'monitor'), volume: optionalNumber(def, 'monitorVolume', LIMITS.volume), input: optionalSource(def, 'source', this.channels.inputs) };
    this.throttle = new LevelThrottle(levelRate(def));
    ctx.listen<LevelsEvent>('levels', (e) => this.onLevels(e));
  }

  /** The monitored input's peaks, and each channel's (which input is the guitar on?), at the level rate. */
  private onLevels(e: LevelsEvent): void {
    const peaks = this.channelPeaks;
    e.channels?.forEach((p, c) => (peaks[c] = Math.max(peaks[c] ?? 0, p)));
    const levels = this.throttle.add(e.input[0], e.input[1], this.ctx.now());
    if (!levels) return;
    const msg = levelMsg('input', levels);
    // a stereo engine's channels are left and right already: its msgs stay as they were
    if (peaks.length > 0 && this.channels.inputs !== 2) {
      msg.channels = peaks.map((p) => Math.round(p * 10000) / 10000);
      peaks.fill(0);
    }
    this.ctx.output(msg);
  }

  input(msg: { payload?: unknown }): void {
    const change = parseAudioInPayload(msg.payload, this.channels);
    for (const req of monitorRequests(change, this.ctx.config.tracks)) this.ctx.send(req);
    if (change.input !== undefined) this.showInput(sourceName(change.input));
  }

  private showInput(input: string): void {
    this.ctx.status.setOwn({ fill: StatusColor.Green, shape: StatusShape.Dot, text: this.ctx.text(`${NodeType.AudioIn}.status.input`, { input }, `hearing ${input}`) });
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
