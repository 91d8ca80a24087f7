import { InputError, isTrackCommand, numberIn, parseCommand } from '../engine/commands';
import { COMMANDS, CommandName, LIMITS } from '../engine/types';
import { isObject } from '../engine/options';
import { MidiEvent } from './messages';

// Notes, control changes and program changes to engine commands, with a learn mode: arm it with a
// command, and the next note, CC or program change that arrives is bound to it. Pure: events in,
// commands out; bindings are plain objects a node keeps in its settings (JSON).
//
// A note-on or program change does its command. A CC either sets a value (volume, pan, feedback, bpm...:
// 0..127 spread over `range`) or, for an action (record, toggle...), acts when the controller goes from
// below 64 to 64 or more: a sustain pedal or a foot switch presses once per press.

export type MidiTrigger = 'note' | 'cc' | 'program';

export interface MidiBinding {
  type: MidiTrigger;
  /** 1-16; 0 = any channel */
  channel: number;
  /** note, controller or program number (0-127) */
  number: number;
  command: CommandName;
  /** 1-based for track commands, 0 for global ones */
  track: number;
  /** a value to send with the command (a note or program setting a fixed volume...) */
  value?: number | string;
  /** a CC's 0..127 mapped onto [lo, hi] (default: see CC_RANGES) */
  range?: [number, number];
}

export interface MappedCommand {
  command: CommandName;
  track: number;
  value?: number | string;
}

/** Commands a CC sets continuously, with the range 0..127 covers unless a binding says otherwise. */
export const CC_RANGES: Partial<Record<CommandName, [number, number]>> = {
  volume: [0, 1],
  pan: [-1, 1],
  feedback: [0, 1],
  metronomeVolume: [0, 1],
  monitorVolume: [0, 1],
  masterVolume: [0, 1],
  bpm: [40, 240],
};

const TRIGGERS: readonly MidiTrigger[] = ['note', 'cc', 'program'];
const FIELDS = ['type', 'channel', 'number', 'command', 'track', 'value', 'range'];

/** Checks bindings from a node's settings or a msg; a bad one is an InputError naming its field. */
export function parseBindings(raw: unknown, tracks: number, field = 'bindings'): MidiBinding[] {
  if (!Array.isArray(raw)) throw new InputError(field, 'must be an array of {type, channel, number, command, track}');
  return raw.map((b: unknown, i) => parseBinding(b, tracks, `${field}[${i}]`));
}

export function parseBinding(b: unknown, tracks: number, field: string): MidiBinding {
  if (!isObject(b)) throw new InputError(field, 'must be an object like {"type": "note", "channel": 0, "number": 60, "command": "toggle", "track": 1}');
  const unknown = Object.keys(b).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) throw new InputError(`${field}.${unknown.slice(0, 40)}`, `unknown field; accepted: ${FIELDS.join(', ')}`);
  if (!TRIGGERS.includes(b.type as MidiTrigger)) throw new InputError(`${field}.type`, `${JSON.stringify(b.type)} is not accepted; accepted: ${TRIGGERS.join(', ')}`);
  const binding: MidiBinding = {
    type: b.type as MidiTrigger,
    channel: numberIn(b.channel ?? 0, `${field}.channel`, [0, 16], true),
    number: numberIn(b.number, `${field}.number`, [0, 127], true),
    command: 'record',
    track: 0,
  };
  if (!(COMMANDS as readonly unknown[]).includes(b.command)) {
    throw new InputError(`${field}.command`, `${JSON.stringify(b.command)} is not a command; accepted: ${COMMANDS.join(', ')}`);
  }
  binding.command = b.command as CommandName;
  const continuous = binding.type === 'cc' && CC_RANGES[binding.command] !== undefined;
  if (b.range !== undefined) {
    const r = b.range;
    const limits = limitsOf(binding.command);
    if (!continuous || !Array.isArray(r) || r.length !== 2) throw new InputError(`${field}.range`, `only a CC setting ${Object.keys(CC_RANGES).join(', ')} takes a range: [lo, hi]`);
    binding.range = [numberIn(r[0], `${field}.range[0]`, limits), numberIn(r[1], `${field}.range[1]`, limits)];
  }
  // the engine's own check of the track and of a fixed value
  const parsed = parseCommand({ command: binding.command, track: b.track ?? 0, value: continuous ? limitsOf(binding.command)[0] : b.value }, tracks, `${field}.`);
  binding.track = parsed.track;
  if (b.value !== undefined && !continuous) binding.value = b.value as number | string;
  return binding;
}

function limitsOf(command: CommandName): readonly [number, number] {
  switch (command) {
    case 'pan':
      return LIMITS.pan;
    case 'feedback':
      return LIMITS.feedback;
    case 'bpm':
      return LIMITS.bpm;
    default:
      return LIMITS.volume;
  }
}

export class MidiMapper {
  private bindings: MidiBinding[];
  private learning: Omit<MidiBinding, 'type' | 'channel' | 'number'> | undefined;
  /** each CC's last value per channel, for the press edge of action CCs */
  private readonly ccLast = new Map<number, number>();

  constructor(bindings: readonly MidiBinding[] = []) {
    this.bindings = [...bindings];
  }

  get all(): readonly MidiBinding[] {
    return this.bindings;
  }

  get isLearning(): boolean {
    return this.learning !== undefined;
  }

  /** The next note, CC or program change will do `what` (validated by the caller with parseBinding). */
  learn(what: Omit<MidiBinding, 'type' | 'channel' | 'number'>): void {
    this.learning = what;
  }

  cancelLearn(): void {
    this.learning = undefined;
  }

  /** New bindings (a msg's); ends a learn in progress. */
  replace(bindings: readonly MidiBinding[]): void {
    this.bindings = [...bindings];
    this.learning = undefined;
  }

  /**
   * What an event does. In learn mode a note, CC or program change becomes a binding (replacing one for
   * the same message) and does nothing else; `learned` returns it.
   */
  handle(e: MidiEvent): { commands: MappedCommand[]; learned?: MidiBinding } {
    const trigger = triggerOf(e);
    if (!trigger) return { commands: [] };
    if (this.learning) {
      const learned: MidiBinding = { ...trigger, ...this.learning };
      this.learning = undefined;
      this.bindings = this.bindings.filter((b) => !(b.type === learned.type && b.number === learned.number && b.channel === learned.channel));
      this.bindings.push(learned);
      return { commands: [], learned };
    }
    const commands: MappedCommand[] = [];
    const ccKey = e.kind === 'cc' ? e.channel * 128 + e.controller : -1;
    const before = e.kind === 'cc' ? (this.ccLast.get(ccKey) ?? 0) : 0;
    if (e.kind === 'cc') this.ccLast.set(ccKey, e.value);
    for (const b of this.bindings) {
      if (b.type !== trigger.type || b.number !== trigger.number || (b.channel !== 0 && b.channel !== trigger.channel)) continue;
      const c = this.commandOf(b, e, before);
      if (c) commands.push(c);
    }
    return { commands };
  }

  private commandOf(b: MidiBinding, e: MidiEvent, before: number): MappedCommand | undefined {
    const out: MappedCommand = { command: b.command, track: isTrackCommand(COMMANDS.indexOf(b.command)) ? b.track : 0 };
    if (e.kind === 'cc') {
      const range = b.range ?? CC_RANGES[b.command];
      if (range) {
        out.value = range[0] + (e.value / 127) * (range[1] - range[0]);
        return out;
      }
      if (!(before < 64 && e.value >= 64)) return undefined;
    }
    if (b.value !== undefined) out.value = b.value;
    return out;
  }
}

function triggerOf(e: MidiEvent): { type: MidiTrigger; channel: number; number: number } | undefined {
  switch (e.kind) {
    case 'note':
      return { type: 'note', channel: e.channel, number: e.note };
    case 'cc':
      return { type: 'cc', channel: e.channel, number: e.controller };
    case 'program':
      return { type: 'program', channel: e.channel, number: e.program };
    default:
      return undefined;
  }
}
