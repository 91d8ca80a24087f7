import { booleanOf } from '../engine/commands';
import { sourceName } from '../engine/routing';
import { CommandName, LIMITS } from '../engine/types';
import { HostEvent } from '../io/protocol';
import { CommandRequest, commandRequest, msgSource, refuse } from './commands';
import { NodeType } from './constants';
import { LevelThrottle } from './level-throttle';
import { levelMsg, levelRate } from './levels';
import { StatusColor, StatusShape } from './status';
import { Controller, ControllerContext } from './wiring';

// Per-track volume, pan, mute, solo, input gain, feedback and cue send, master and monitor volume and the
// buses, addressed by
// msg.topic like a mixing desk's channel strips ("track/2/volume"); the master output's levels out.

const TRACK_CONTROLS = ['volume', 'pan', 'mute', 'solo', 'inputGain', 'feedback', 'cue', 'send'] as const;
const GLOBAL_CONTROLS: Record<string, CommandName> = {
  'master/volume': 'masterVolume',
  'monitor/volume': 'monitorVolume',
  'metronome/volume': 'metronomeVolume',
  'metronome/bus': 'metronomeBus',
  'monitor/bus': 'monitorBus',
  'monitor/input': 'monitorInput',
};

const accepted = (tracks: number) =>
  `track/<1-${tracks}>/volume (0 to ${LIMITS.volume[1]}), track/<n>/pan (-1 to 1), track/<n>/mute (true/false), ` +
  `track/<n>/solo (true/false), track/<n>/inputGain (0 to ${LIMITS.volume[1]}), track/<n>/feedback (0 to 1), ` +
  `track/<n>/cue (an output bus, 0 = none), track/<n>/send (0 to ${LIMITS.volume[1]}), ` +
  `master/volume, monitor/volume, metronome/volume (0 to ${LIMITS.volume[1]}), metronome/bus, monitor/bus (an output bus), ` +
  'monitor/input (all, a channel or a pair like 1-2)';

/** The routing controls checked against the engine's channel counts (the engine would only refuse them later). */
function checkRouting(req: CommandRequest, inputChannels: number, buses: number): void {
  const bus = req.command === 'cueBus' || req.command === 'metronomeBus' || req.command === 'monitorBus';
  if (bus && (req.value as number) > buses) {
    throw refuse('msg.payload', req.value, 'is not an output bus of this engine', `${req.command === 'cueBus' ? '0 (none) or ' : ''}a bus from 1 to ${buses}`);
  }
  // the command path took any source up to the engine's limit: this engine has fewer inputs
  if (req.command === 'monitorInput') msgSource(sourceName(req.value as number), inputChannels, 'msg.payload');
}

const TRACK_TOPIC = /^track\/([^/]*)\/([^/]*)$/;

export function parseMixerMsg(topic: unknown, payload: unknown, tracks: number): CommandRequest {
  const fields = { track: 'msg.topic (track)', value: 'msg.payload' };
  if (typeof topic === 'string' && topic.length <= 64) {
    const global = GLOBAL_CONTROLS[topic];
    if (global) return commandRequest(global, 0, payload, tracks, fields);
    const m = TRACK_TOPIC.exec(topic);
    if (m && (TRACK_CONTROLS as readonly string[]).includes(m[2])) {
      const track = m[1];
      switch (m[2]) {
        case 'volume':
          return commandRequest('volume', track, payload, tracks, fields);
        case 'pan':
        case 'inputGain':
        case 'feedback':
          return commandRequest(m[2], track, payload, tracks, fields);
        case 'cue':
          return commandRequest('cueBus', track, payload, tracks, fields);
        case 'send':
          return commandRequest('cueSend', track, payload, tracks, fields);
        case 'mute':
          return commandRequest(booleanOf(payload, 'msg.payload') ? 'mute' : 'unmute', track, undefined, tracks, fields);
        case 'solo':
          return commandRequest(booleanOf(payload, 'msg.payload') ? 'solo' : 'unsolo', track, undefined, tracks, fields);
      }
    }
  }
  throw refuse('msg.topic', topic, 'is not a mixer control', accepted(tracks));
}

type LevelsEvent = Extract<HostEvent, { type: 'levels' }>;

export class MixerController implements Controller {
  private readonly throttle: LevelThrottle;

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>) {
    this.throttle = new LevelThrottle(levelRate(def));
    ctx.listen<LevelsEvent>('levels', (e) => {
      const levels = this.throttle.add(e.output[0], e.output[1], ctx.now());
      if (levels) ctx.output(levelMsg('output', levels));
    });
  }

  input(msg: { topic?: unknown; payload?: unknown }): void {
    const config = this.ctx.config;
    const req = parseMixerMsg(msg.topic, msg.payload, config.tracks);
    checkRouting(req, config.inputChannels ?? 2, (config.outputChannels ?? 2) / 2);
    this.ctx.send(req);
    const control = String(msg.topic);
    const value = req.command === 'mute' || req.command === 'solo' ? 'on' : req.command === 'unmute' || req.command === 'unsolo' ? 'off'
      : req.command === 'monitorInput' ? sourceName(req.value as number) : String(req.value);
    this.ctx.status.setOwn({
      fill: StatusColor.Green,
      shape: StatusShape.Dot,
      text: this.ctx.text(`${NodeType.Mixer}.status.set`, { control, value }, `${control}: ${value}`),
    });
  }
}
