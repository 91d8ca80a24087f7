import { SOURCE_ALL, sourceName } from '../engine/routing';
import { CommandName, TrackState } from '../engine/types';
import { HostStatus } from '../io/client';
import { HostEvent } from '../io/protocol';
import { commandRequest, msgSource, refuse, wordOf } from './commands';
import { ConfigError, NodeError } from './errors';
import { DEFAULT_GESTURE_TIMES, Gesture, GestureDetector, GestureTimes } from './gesture';
import { LevelThrottle } from './level-throttle';
import { levelMsg, levelRate } from './levels';
import { optionalBoolean, optionalSource, requiredNumber } from './settings';
import { NodeType } from './constants';
import { Controller, ControllerContext } from './wiring';
import { EngineStatus, StatusColor, StatusShape } from './status';

// One track of the looper: commands and button levels in, its state out on every change. The node
// stays bound to its track number when loops are deleted and added (by OSC, the panel or a msg): while
// its track is no live loop it shows "no loop (deleted)" and refuses commands, until the track is added
// again ("addloop", or an add that takes this free track).

export const RECORDER_COMMANDS = [
  'record', 'overdub', 'play', 'stop', 'clear', 'undo', 'redo', 'toggle', 'mute', 'unmute',
  'reverse', 'half', 'double', 'multiply', 'replace', 'oneshot', 'retrigger', 'pause', 'substitute', 'insert',
  'addloop', 'deleteloop',
] as const;
/** The engine command of each recorder word that is not the command's own name (words are lower case). */
const ENGINE_COMMAND: Partial<Record<RecorderCommand, CommandName>> = { addloop: 'addLoop', deleteloop: 'deleteLoop' };
export type RecorderCommand = (typeof RECORDER_COMMANDS)[number];

/** What each button gesture does. */
export const GESTURE_ACTIONS: Record<Gesture, RecorderCommand> = { tap: 'toggle', doubleTap: 'stop', hold: 'clear' };

const ACCEPTED = `${RECORDER_COMMANDS.join(', ')}, "input" with msg.value (the input source), or a button level: 1/true (pressed), 0/false (released)`;

export interface RecorderSettings {
  track: number;
  gestures: GestureTimes;
  /** a button wired to ground with a pull-up reads 0 when pressed */
  pressedLevel: 0 | 1;
  /** the input source the track records (a source code, lib/engine/routing.ts), applied at each start */
  source: number;
  /** level msgs per second (0 = none): the track's output peak and RMS */
  levelRate: number;
}

export function recorderSettings(def: Record<string, unknown>, tracks: number, inputChannels = 2): RecorderSettings {
  if (def.track === undefined || def.track === '') throw new ConfigError('track', `missing; accepted: an integer from 1 to ${tracks}`);
  return {
    track: requiredNumber(def, 'track', [1, tracks], 1, true),
    gestures: {
      doubleTapMs: requiredNumber(def, 'doubleTapMs', [50, 2000], DEFAULT_GESTURE_TIMES.doubleTapMs, true),
      holdMs: requiredNumber(def, 'holdMs', [200, 10000], DEFAULT_GESTURE_TIMES.holdMs, true),
    },
    pressedLevel: optionalBoolean(def, 'pressedLevel') === false ? 0 : 1,
    // an empty setting records every input
    source: optionalSource(def, 'source', inputChannels) ?? SOURCE_ALL,
    // off unless chosen: a flow that switches on the state msgs' payload sees no level msgs
    levelRate: def.levelRate === undefined || def.levelRate === '' ? 0 : levelRate(def),
  };
}

export type RecorderInput =
  | { kind: 'command'; command: RecorderCommand }
  | { kind: 'level'; level: 0 | 1 }
  | { kind: 'input'; value: unknown };

/** msg.payload to a command or a button level. */
export function parseRecorderPayload(payload: unknown, value?: unknown): RecorderInput {
  if (payload === 1 || payload === true || payload === '1') return { kind: 'level', level: 1 };
  if (payload === 0 || payload === false || payload === '0') return { kind: 'level', level: 0 };
  const word = wordOf(payload);
  if (word !== undefined && (RECORDER_COMMANDS as readonly string[]).includes(word)) return { kind: 'command', command: word as RecorderCommand };
  if (word === 'input') return { kind: 'input', value };
  const isNot = typeof payload === 'string' ? 'is not a loop recorder command' : 'is not a command or a button level';
  throw refuse('msg.payload', payload, isNot, ACCEPTED);
}

const STATE_LOOK: Record<TrackState, { fill: StatusColor; shape: StatusShape }> = {
  empty: { fill: StatusColor.Grey, shape: StatusShape.Ring },
  recording: { fill: StatusColor.Red, shape: StatusShape.Dot },
  playing: { fill: StatusColor.Green, shape: StatusShape.Dot },
  overdubbing: { fill: StatusColor.Yellow, shape: StatusShape.Dot },
  stopped: { fill: StatusColor.Grey, shape: StatusShape.Dot },
  multiplying: { fill: StatusColor.Yellow, shape: StatusShape.Ring },
  replacing: { fill: StatusColor.Red, shape: StatusShape.Ring },
  oneshot: { fill: StatusColor.Green, shape: StatusShape.Ring },
  substituting: { fill: StatusColor.Red, shape: StatusShape.Ring },
  inserting: { fill: StatusColor.Red, shape: StatusShape.Dot },
};

type StateEvent = Extract<HostEvent, { type: 'state' }>;
type PendingEvent = Extract<HostEvent, { type: 'pending' }>;
type HostErrorEvent = Extract<HostEvent, { type: 'error' }>;
type LoopEvent = Extract<HostEvent, { type: 'loop' }>;
type LevelsEvent = Extract<HostEvent, { type: 'levels' }>;

const KEYS = `${NodeType.LoopRecorder}`;

export class LoopRecorderController implements Controller {
  readonly settings: RecorderSettings;
  private readonly gestures: GestureDetector;
  private cancelHoldTimer: (() => void) | undefined;
  private state: TrackState = 'empty';
  private frames = 0;
  private bars = 0;
  private muted = false;
  /** the frame of the last state event, so an older status reply does not overwrite it */
  private stateFrame = -1;
  /** the track is a live loop (false: deleted, until it is added again) */
  private live = true;
  /** the input source now (the setting, then what msgs chose) */
  private source: number;
  private readonly peaks: LevelThrottle;
  private readonly rms: LevelThrottle;

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>) {
    this.settings = recorderSettings(def, ctx.config.tracks, ctx.config.inputChannels);
    this.source = this.settings.source;
    this.gestures = new GestureDetector(this.settings.gestures);
    this.peaks = new LevelThrottle(this.settings.levelRate);
    this.rms = new LevelThrottle(this.settings.levelRate);
    if (this.settings.levelRate > 0) ctx.listen<LevelsEvent>('levels', (e) => this.onLevels(e));
    ctx.listen<StateEvent>('state', (e) => e.track === this.settings.track && this.onState(e));
    ctx.listen<PendingEvent>('pending', (e) => e.track === this.settings.track && this.onPending(e));
    ctx.listen<HostErrorEvent>('hostError', (e) => e.track === this.settings.track && this.onHostError(e));
    ctx.listen<LoopEvent>('loop', (e) => e.track === this.settings.track && this.onLoop(e.live));
  }

  input(msg: { payload?: unknown; value?: unknown }): void {
    const input = parseRecorderPayload(msg.payload, msg.value);
    if (input.kind === 'command') this.command(input.command);
    else if (input.kind === 'input') {
      this.source = msgSource(input.value, this.ctx.config.inputChannels ?? 2, 'msg.value');
      this.sendSource();
      this.showState();
    } else this.level(input.level === this.settings.pressedLevel);
  }

  engineStatus(status: EngineStatus): void {
    if (status === 'running' || status === 'no-device') {
      // a (re)started host has each track on "all" or its restored session's input: the chosen one goes first
      if (this.source !== 0) this.sendSource();
      void this.refresh();
    }
  }

  private sendSource(): void {
    this.ctx.send(commandRequest('input', this.settings.track, this.source, this.ctx.config.tracks));
  }

  /** The track's output meter, at the node's level rate: peak and RMS per side. */
  private onLevels(e: LevelsEvent): void {
    const t = e.tracks?.[this.settings.track - 1];
    if (!t) return;
    const now = this.ctx.now();
    const peak = this.peaks.add(t.peak[0], t.peak[1], now);
    const rms = this.rms.add(t.rms[0], t.rms[1], now);
    if (!peak || !rms) return;
    const round = (x: number) => Math.round(x * 10000) / 10000;
    this.ctx.output({ ...levelMsg('level', peak), track: this.settings.track, rms: round(Math.max(rms.left, rms.right)), rmsLeft: round(rms.left), rmsRight: round(rms.right) });
  }

  close(): void {
    this.cancelHoldTimer?.();
  }

  private command(name: RecorderCommand): void {
    const track = this.settings.track;
    if (!this.live && name !== 'addloop') {
      throw new NodeError(`${KEYS}.errors.deleted`, { track, command: name }, `track ${track} is no loop (it was deleted): "${name}" was not sent; send "addloop" to add it again`);
    }
    this.ctx.send(commandRequest(ENGINE_COMMAND[name] ?? (name as CommandName), track, undefined, this.ctx.config.tracks));
    // mute is not a track state, so the host reports no event for it: it applies at once
    if (name === 'mute' || name === 'unmute') {
      this.muted = name === 'mute';
      this.showState();
    }
  }

  private level(pressed: boolean): void {
    this.run(this.gestures.level(pressed, this.ctx.now()));
    this.scheduleGestures();
  }

  /** One timer for the next gesture that needs no level change (a hold); re-armed if it fires early. */
  private scheduleGestures(): void {
    this.cancelHoldTimer?.();
    this.cancelHoldTimer = undefined;
    const due = this.gestures.nextDeadline();
    if (due === undefined) return;
    this.cancelHoldTimer = this.ctx.timeout(() => {
      this.cancelHoldTimer = undefined;
      try {
        this.run(this.gestures.poll(this.ctx.now()));
      } catch (err) {
        // a hold ends on a timer, with no msg to answer: the refusal (no loop, no engine) goes to the log
        this.ctx.warn((err as Error).message);
        this.ctx.status.fail((err as Error).message);
      }
      this.scheduleGestures();
    }, Math.max(1, Math.ceil(due - this.ctx.now())));
  }

  private run(gestures: Gesture[]): void {
    for (const g of gestures) this.command(GESTURE_ACTIONS[g]);
  }

  private onState(e: StateEvent): void {
    this.state = e.state;
    this.frames = e.frames;
    this.bars = e.bars;
    this.stateFrame = e.frame;
    this.showState();
    this.ctx.output({
      payload: e.state,
      track: e.track,
      frames: e.frames,
      seconds: e.seconds,
      bars: e.bars,
      frame: e.frame,
    });
  }

  private onLoop(live: boolean): void {
    this.live = live;
    if (live) this.muted = false;
    this.showState();
  }

  private onPending(e: PendingEvent): void {
    const state = this.ctx.text(`${KEYS}.state.${e.state}`, {}, e.state);
    this.ctx.status.setOwn({
      fill: StatusColor.Blue,
      shape: StatusShape.Ring,
      text: this.ctx.text(`${KEYS}.status.pending`, { state }, `→ ${state}`),
    });
  }

  private onHostError(e: HostErrorEvent): void {
    this.ctx.warn(this.ctx.text(`${KEYS}.errors.refused`, { track: e.track, message: e.message }, `track ${e.track}: ${e.message}`));
    this.ctx.status.fail(e.message);
  }

  private async refresh(): Promise<void> {
    try {
      const status = (await this.ctx.request({ type: 'status' })) as HostStatus;
      const t = status.tracks.find((x) => x.track === this.settings.track);
      if (!t || status.frame < this.stateFrame) return;
      this.state = t.state;
      this.frames = t.frames;
      this.bars = t.bars;
      this.muted = t.muted;
      this.live = t.live ?? true;
      this.showState();
    } catch {
      // the host went away while answering: its next start refreshes again
    }
  }

  private showState(): void {
    if (!this.live) {
      this.ctx.status.setOwn({ fill: StatusColor.Grey, shape: StatusShape.Ring, text: this.ctx.text(`${KEYS}.status.deleted`, {}, 'no loop (deleted)') });
      return;
    }
    const parts = [this.ctx.text(`${KEYS}.state.${this.state}`, {}, this.state)];
    if (this.frames > 0) {
      const one = this.bars === 1;
      parts.push(this.ctx.text(`${KEYS}.status.${one ? 'bar' : 'bars'}`, { bars: this.bars }, one ? '1 bar' : `${this.bars} bars`));
    }
    if (this.muted) parts.push(this.ctx.text(`${KEYS}.status.muted`, {}, 'muted'));
    if (this.source !== 0) parts.push(this.ctx.text(`${KEYS}.status.input`, { input: sourceName(this.source) }, `in ${sourceName(this.source)}`));
    this.ctx.status.setOwn({ ...STATE_LOOK[this.state], text: parts.join(' · ') });
  }
}
