import { booleanOf, numberIn } from '../engine/commands';
import { LIMITS } from '../engine/types';
import { HostStatus } from '../io/client';
import { HostEvent } from '../io/protocol';
import type { LinkEvent } from '../sync/link-sync';
import { CommandRequest, commandRequest, emptyObject, refuse, unknownKey, wordOf } from './commands';
import { NodeType } from './constants';
import { ConfigError } from './errors';
import { isPlainObject } from './objects';
import { optionalBoolean, optionalNumber } from './settings';
import { EngineStatus, StatusColor, StatusShape } from './status';
import { TapTempo } from './tap-tempo';
import { Controller, ControllerContext } from './wiring';

// The click and the transport: tempo, bar length, volume, on/off and tap tempo in; one msg per beat
// out, sent when the beat sounds.

export interface MetronomeChange {
  bpm?: number;
  beatsPerBar?: number;
  volume?: number;
  enabled?: boolean;
  /** the output bus the click goes to (1 = the main mix) */
  bus?: number;
}
export type MetronomeInput = { kind: 'set'; change: MetronomeChange } | { kind: 'tap' };

const SETTINGS = ['bpm', 'beatsPerBar', 'volume', 'enabled', 'bus'] as const;
const ACCEPTED = `a bpm from ${LIMITS.bpm[0]} to ${LIMITS.bpm[1]}, "start", "stop", "tap", true/false, or {bpm, beatsPerBar, volume, enabled, bus}`;

export function parseMetronomePayload(payload: unknown): MetronomeInput {
  if (typeof payload === 'number') return { kind: 'set', change: { bpm: numberIn(payload, 'msg.payload (bpm)', LIMITS.bpm) } };
  if (typeof payload === 'boolean') return { kind: 'set', change: { enabled: payload } };
  const word = wordOf(payload);
  if (word === 'start' || word === 'on') return { kind: 'set', change: { enabled: true } };
  if (word === 'stop' || word === 'off') return { kind: 'set', change: { enabled: false } };
  if (word === 'tap') return { kind: 'tap' };
  if (word !== undefined && word !== '' && Number.isFinite(Number(word))) {
    return { kind: 'set', change: { bpm: numberIn(word, 'msg.payload (bpm)', LIMITS.bpm) } };
  }
  if (isPlainObject(payload)) return { kind: 'set', change: parseChange(payload) };
  const what = typeof payload === 'string' ? 'is not a bpm or a metronome command' : 'is not a metronome command';
  throw refuse('msg.payload', payload, what, ACCEPTED);
}

function parseChange(o: Record<string, unknown>): MetronomeChange {
  const keys = Object.keys(o);
  const unknown = keys.find((k) => !(SETTINGS as readonly string[]).includes(k));
  if (unknown !== undefined) throw unknownKey('msg.payload', unknown, SETTINGS);
  if (keys.length === 0) throw emptyObject('msg.payload', SETTINGS);
  const change: MetronomeChange = {};
  if (o.bpm !== undefined) change.bpm = numberIn(o.bpm, 'msg.payload.bpm', LIMITS.bpm);
  if (o.beatsPerBar !== undefined) change.beatsPerBar = numberIn(o.beatsPerBar, 'msg.payload.beatsPerBar', LIMITS.beatsPerBar, true);
  if (o.volume !== undefined) change.volume = numberIn(o.volume, 'msg.payload.volume', LIMITS.volume);
  if (o.enabled !== undefined) change.enabled = booleanOf(o.enabled, 'msg.payload.enabled');
  if (o.bus !== undefined) change.bus = numberIn(o.bus, 'msg.payload.bus', [1, LIMITS.outputBuses[1]], true);
  return change;
}

/** The settings a deploy applies (blank fields leave the engine as it is). */
export function metronomeSettings(def: Record<string, unknown>): MetronomeChange {
  return {
    bpm: optionalNumber(def, 'bpm', LIMITS.bpm),
    beatsPerBar: optionalNumber(def, 'beatsPerBar', LIMITS.beatsPerBar, true),
    volume: optionalNumber(def, 'volume', LIMITS.volume),
    enabled: optionalBoolean(def, 'enabled'),
    bus: optionalNumber(def, 'bus', [1, LIMITS.outputBuses[1]], true),
  };
}

function requestsOf(change: MetronomeChange, tracks: number): CommandRequest[] {
  const out: CommandRequest[] = [];
  if (change.bpm !== undefined) out.push(commandRequest('bpm', 0, change.bpm, tracks));
  if (change.beatsPerBar !== undefined) out.push(commandRequest('beatsPerBar', 0, change.beatsPerBar, tracks));
  if (change.volume !== undefined) out.push(commandRequest('metronomeVolume', 0, change.volume, tracks));
  if (change.enabled !== undefined) out.push(commandRequest('metronome', 0, change.enabled, tracks));
  if (change.bus !== undefined) out.push(commandRequest('metronomeBus', 0, change.bus, tracks));
  return out;
}

type BeatEvent = Extract<HostEvent, { type: 'beat' }>;
type TempoEvent = Extract<HostEvent, { type: 'tempo' }>;
const KEYS = NodeType.Metronome;

export class MetronomeController implements Controller {
  readonly settings: MetronomeChange;
  private readonly tapTempo = new TapTempo();
  private bpm: number;
  private beatsPerBar: number;
  private enabled: boolean;
  /** the engine's Link session, when its sync source is Link */
  private link: LinkEvent | undefined;

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>) {
    this.settings = metronomeSettings(def);
    const buses = (ctx.config.outputChannels ?? 2) / 2;
    if (this.settings.bus !== undefined && this.settings.bus > buses) {
      throw new ConfigError('bus', `${this.settings.bus} is not an output bus of this engine; accepted: a bus from 1 to ${buses} (bus 2 is channels 3-4), or blank`);
    }
    this.bpm = ctx.config.bpm;
    this.beatsPerBar = ctx.config.beatsPerBar;
    this.enabled = ctx.config.metronome.enabled;
    ctx.listen<BeatEvent>('beat', (e) => this.onBeat(e));
    ctx.listen<LinkEvent>('link', (e) => {
      const peersChanged = this.link?.peers !== e.peers;
      this.link = e;
      if (peersChanged) this.show();
    });
    ctx.listen<TempoEvent>('tempo', (e) => {
      this.bpm = e.bpm;
      this.beatsPerBar = e.beatsPerBar;
      this.show();
    });
  }

  input(msg: { payload?: unknown }): void {
    const input = parseMetronomePayload(msg.payload);
    if (input.kind === 'set') return this.apply(input.change);
    const bpm = this.tapTempo.tap(this.ctx.now());
    if (bpm !== undefined) this.apply({ bpm });
  }

  engineStatus(status: EngineStatus): void {
    if (status === 'running' || status === 'no-device') void this.startUp();
  }

  /** A (re)started host begins from the engine's settings: read them, then apply this node's on top. */
  private async startUp(): Promise<void> {
    await this.refresh();
    try {
      this.apply(this.settings);
    } catch {
      // the host went away again: its next start applies them
    }
  }

  private apply(change: MetronomeChange): void {
    const buses = (this.ctx.config.outputChannels ?? 2) / 2;
    if (change.bus !== undefined && change.bus > buses) {
      throw refuse('msg.payload.bus', change.bus, 'is not an output bus of this engine', `a bus from 1 to ${buses} (bus 2 is channels 3-4)`);
    }
    for (const req of requestsOf(change, this.ctx.config.tracks)) this.ctx.send(req);
    // tempo and bar changes wait for their beat and are reported then; on/off applies at once
    if (change.enabled !== undefined) {
      this.enabled = change.enabled;
      this.show();
    }
  }

  private onBeat(e: BeatEvent): void {
    const msg: Record<string, unknown> = { payload: e.beatInBar + 1, beat: e.beat, bar: e.bar, downbeat: e.downbeat, frame: e.frame };
    // the Link session's beat at the moment this one sounded (the 'link' event comes just before the beat)
    const l = this.link;
    if (l?.beat?.engineBeat === e.beat) {
      const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;
      msg.link = { beat: round(l.beat.beat, 4), phase: round(l.beat.phase, 4), quantum: l.quantum, tempo: round(l.tempo, 3), peers: l.peers, phaseErrorMs: round(l.beat.phaseErrorMs, 3) };
    }
    this.ctx.output(msg);
  }

  private async refresh(): Promise<void> {
    try {
      const s = (await this.ctx.request({ type: 'status' })) as HostStatus;
      this.bpm = s.bpm;
      this.beatsPerBar = s.beatsPerBar;
      this.enabled = s.metronome;
      this.show();
    } catch {
      // the host went away while answering: its next start refreshes again
    }
  }

  private show(): void {
    const params = { bpm: this.bpm, beatsPerBar: this.beatsPerBar };
    const key = this.enabled ? 'status.on' : 'status.off';
    const english = `${this.bpm} bpm · ${this.beatsPerBar}/4${this.enabled ? '' : ' · click off'}`;
    let text = this.ctx.text(`${KEYS}.${key}`, params, english);
    if (this.link) {
      const peers = this.link.peers;
      text += ` · ${this.ctx.text(`${KEYS}.status.link`, { count: peers }, `Link peers: ${peers}`)}`;
    }
    this.ctx.status.setOwn({
      fill: this.enabled ? StatusColor.Green : StatusColor.Grey,
      shape: this.link ? StatusShape.Ring : StatusShape.Dot,
      text,
    });
  }
}
