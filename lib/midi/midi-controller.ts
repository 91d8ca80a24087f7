import { InputError } from '../engine/commands';
import type { HostStatus } from '../io/client';
import type { HostEvent } from '../io/protocol';
import { commandRequest, refuse, wordOf } from '../control/commands';
import { NodeType } from '../control/constants';
import { ConfigError } from '../control/errors';
import { isPlainObject } from '../control/objects';
import { optionalBoolean } from '../control/settings';
import { StatusColor, StatusShape } from '../control/status';
import { Controller, ControllerContext } from '../control/wiring';
import { MidiClockFollower, lockedBpm } from './clock-in';
import { MidiClockOut } from './clock-out';
import { ClockSender } from './clock-sender';
import { MidiEvent, parseMidi } from './messages';
import { MidiBinding, MidiMapper, parseBinding, parseBindings } from './mapping';
import { MidiInputPort, MidiOutputPort, MidiPorts, loadMidiPorts } from './ports';

// The loopstation-midi node: MIDI in (a port, or bytes in msg.payload from any other MIDI node) mapped
// to engine commands by its bindings, with a learn mode; MIDI clock out to a port from the engine's
// beats; and following an external clock (tempo, and the engine's beats nudged onto the external ones).

export interface MidiSettings {
  /** port names ('' = none) */
  input: string;
  output: string;
  clockOut: boolean;
  follow: boolean;
  bindings: MidiBinding[];
}

type BeatEvent = Extract<HostEvent, { type: 'beat' }>;
type TempoEvent = Extract<HostEvent, { type: 'tempo' }>;

const KEYS = NodeType.Midi;
const ACCEPTED = 'MIDI bytes ([144, 60, 100]), {learn: {command, track, value}}, "cancel", {bindings: [...]}, "start", "stop" or "continue" (clock out)';
/** The engine's tempo is only changed for a difference larger than this (bpm): no command per beat for nothing. */
const BPM_EPSILON = 0.005;
/** Once the beats are this close (ms), the engine's bar lines are moved onto the external downbeats. */
const DOWNBEAT_LOCK_MS = 20;

export function midiSettings(def: Record<string, unknown>, tracks: number): MidiSettings {
  const text = (k: string): string => (typeof def[k] === 'string' ? (def[k] as string).trim() : '');
  let bindings: MidiBinding[] = [];
  const raw = def.bindings;
  if (raw !== undefined && raw !== '') {
    try {
      bindings = parseBindings(typeof raw === 'string' ? JSON.parse(raw) : raw, tracks);
    } catch (err) {
      if (err instanceof InputError) throw new ConfigError(err.field, err.problem);
      throw new ConfigError('bindings', `not JSON: ${(err as Error).message}`);
    }
  }
  return {
    input: text('input'),
    output: text('output'),
    clockOut: optionalBoolean(def, 'clockOut') ?? false,
    follow: optionalBoolean(def, 'follow') ?? false,
    bindings,
  };
}

export class MidiController implements Controller {
  readonly settings: MidiSettings;
  readonly mapper: MidiMapper;
  readonly follower = new MidiClockFollower();
  private sender: ClockSender | undefined;
  private inPort: MidiInputPort | undefined;
  private outPort: MidiOutputPort | undefined;
  private bpm: number;
  private beatsPerBar: number;
  private sentBpm: number | undefined;

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>, ports: () => { ports: MidiPorts } | { error: string } = loadMidiPorts) {
    this.settings = midiSettings(def, ctx.config.tracks);
    // the engine's sync source decides when it names one: MIDI clock follows, Link leaves the tempo to the session
    const sync = ctx.config.sync;
    if (sync === 'midi') this.settings.follow = true;
    if (sync === 'link') this.settings.follow = false;
    this.mapper = new MidiMapper(this.settings.bindings);
    this.bpm = ctx.config.bpm;
    this.beatsPerBar = ctx.config.beatsPerBar;
    if (this.settings.input || this.settings.output) this.openPorts(ports());
    if (this.settings.clockOut && this.outPort) {
      const out = this.outPort;
      this.sender = new ClockSender(new MidiClockOut(ctx.config.sampleRate, this.bpm), (bytes) => out.send(bytes), ctx.now);
    }
    ctx.listen<BeatEvent>('beat', (e) => this.onBeat(e));
    ctx.listen<TempoEvent>('tempo', (e) => {
      this.bpm = e.bpm;
      this.beatsPerBar = e.beatsPerBar;
    });
    this.show();
  }

  input(msg: { payload?: unknown }): void {
    const p = msg.payload;
    if (Array.isArray(p) || Buffer.isBuffer(p)) {
      const bytes = [...p] as number[];
      if (!parseMidi(bytes)) throw refuse('msg.payload', p, 'is not a MIDI message this node reads (note, CC, program change, clock, start, stop, continue, song position)', ACCEPTED);
      this.midiIn(bytes, this.ctx.now());
      return;
    }
    const word = wordOf(p);
    if (word === 'cancel') return this.mapper.cancelLearn();
    if (word === 'start' || word === 'stop' || word === 'continue') {
      if (!this.sender) throw new InputError('msg.payload', `"${word}" drives the clock out, which is off or has no output port`);
      this.sender[word]();
      return;
    }
    if (isPlainObject(p) && isPlainObject(p.learn)) {
      // checked as a whole binding: the trigger fields are what learning will fill in
      const { command, track, value } = parseBinding({ type: 'note', number: 0, ...p.learn }, this.ctx.config.tracks, 'msg.payload.learn');
      this.mapper.learn(value === undefined ? { command, track } : { command, track, value });
      this.show();
      return;
    }
    if (isPlainObject(p) && p.bindings !== undefined) {
      const bindings = parseBindings(p.bindings, this.ctx.config.tracks, 'msg.payload.bindings');
      this.mapper.replace(bindings);
      this.show();
      return;
    }
    throw refuse('msg.payload', p, 'is not accepted', ACCEPTED);
  }

  engineStatus(): void {
    // a (re)started host may run another tempo: read it
    this.ctx.request({ type: 'status' }).then((s) => {
      this.bpm = (s as HostStatus).bpm;
      this.beatsPerBar = (s as HostStatus).beatsPerBar;
    }, () => undefined);
  }

  close(): void {
    this.sender?.close();
    this.inPort?.close();
    this.outPort?.close();
  }

  /** One MIDI message (from the port or a msg) that arrived at `at` (ms, the ctx clock). */
  midiIn(bytes: number[], at: number): void {
    const e = parseMidi(bytes);
    if (!e) return;
    if (this.clockMessage(e, at)) return;
    const { commands, learned } = this.mapper.handle(e);
    for (const c of commands) {
      try {
        this.ctx.send(commandRequest(c.command, c.track, c.value, this.ctx.config.tracks));
      } catch (err) {
        this.ctx.warn((err as Error).message);
      }
    }
    if (learned) {
      this.ctx.output({ topic: 'learned', payload: learned, bindings: this.mapper.all });
      this.show();
    }
    this.ctx.output({ topic: 'midi', payload: e, midi: bytes });
  }

  /** Clock, start, stop, continue and song position go to the follower; true if it was one. */
  private clockMessage(e: MidiEvent, at: number): boolean {
    const f = this.follower;
    switch (e.kind) {
      case 'clock':
        f.clock(at);
        return true;
      case 'start':
        f.start();
        return true;
      case 'continue':
        f.continue();
        return true;
      case 'stop':
        f.stop();
        return true;
      case 'position':
        f.position(e.beats);
        return true;
      default:
        return false;
    }
  }

  private onBeat(e: BeatEvent): void {
    this.sender?.beat(e.frame, e.beat, this.bpm);
    if (!this.settings.follow) return;
    const ext = this.follower.bpm;
    if (ext === undefined) return;
    // beat events arrive when the beat sounds: now is when ours was heard
    const error = this.follower.isRunning ? this.follower.phaseErrorMs(this.ctx.now()) : undefined;
    const target = Math.round((error === undefined ? ext : lockedBpm(ext, error)) * 1000) / 1000;
    if (this.sentBpm === undefined || Math.abs(target - this.sentBpm) > BPM_EPSILON) {
      try {
        this.ctx.send(commandRequest('bpm', 0, target, this.ctx.config.tracks));
        this.sentBpm = target;
      } catch {
        // no host right now: the next beat tries again
      }
    }
    if (error !== undefined && Math.abs(error) < DOWNBEAT_LOCK_MS) this.alignDownbeat(e);
    const sr = this.ctx.config.sampleRate;
    this.ctx.output({
      topic: 'clock',
      payload: {
        bpm: Math.round(ext * 1000) / 1000,
        engineBpm: target,
        phaseErrorMs: error,
        phaseErrorFrames: error === undefined ? undefined : Math.round((error * sr) / 1000),
        jumps: this.follower.jumps,
      },
    });
  }

  /**
   * With the beats locked, bar lines too: when the beat after ours is an external downbeat (song
   * position 0 is one, and every beatsPerBar beats after it) but not ours, the engine's next beat is
   * made a downbeat. The command lands after the beat just heard, so the next beat is the one it moves.
   */
  private alignDownbeat(e: BeatEvent): void {
    const external = Math.round(this.follower.beatAt(this.ctx.now()) as number);
    const n = this.beatsPerBar;
    const theirs = (((external + 1) % n) + n) % n === 0;
    const ours = (e.beatInBar + 1) % n === 0;
    if (!theirs || ours) return;
    try {
      this.ctx.send(commandRequest('downbeat', 0, undefined, this.ctx.config.tracks));
    } catch {
      // no host right now: the next bar tries again
    }
  }

  private openPorts(loaded: { ports: MidiPorts } | { error: string }): void {
    if ('error' in loaded) {
      this.ctx.warn(loaded.error);
      return;
    }
    const { input, output } = this.settings;
    try {
      if (input) this.inPort = loaded.ports.openInput(input, (bytes, at) => this.midiIn(bytes, at));
      if (output) this.outPort = loaded.ports.openOutput(output);
    } catch (err) {
      this.ctx.warn(this.ctx.text(`${KEYS}.errors.port`, { message: (err as Error).message }, `cannot open the MIDI port: ${(err as Error).message}`));
    }
  }

  private show(): void {
    const learning = this.mapper.isLearning;
    const ports = this.inPort || this.outPort;
    const english = learning ? 'learning: send a note or CC' : `${this.mapper.all.length} bindings${ports ? '' : ' · msgs only'}`;
    this.ctx.status.setOwn({
      fill: learning ? StatusColor.Yellow : StatusColor.Green,
      shape: ports ? StatusShape.Dot : StatusShape.Ring,
      text: this.ctx.text(`${KEYS}.status.${learning ? 'learning' : ports ? 'ports' : 'msgs'}`, { count: this.mapper.all.length }, english),
    });
  }
}
