import { COMMANDS, Cmd, CommandName, LIMITS, QUANTIZE_MODES, isPerLoopSetting, isTrackCommand } from './types';
import { sourceCode } from './routing';
import { EXIT, UserError } from '../errors';

export { isPerLoopSetting, isTrackCommand };

// One place that turns untrusted values (msgs, render scripts, IPC, the terminal) into engine commands
// and says exactly what was wrong and what is accepted. The engine itself trusts its input.

/** A bad value: `field` names where it was (e.g. "events[2].track"), the message says what is accepted. */
export class InputError extends UserError {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`, EXIT.badInput);
    this.name = 'InputError';
  }
}

export interface ParsedCommand {
  name: CommandName;
  cmd: Cmd;
  /** 1-based for track commands, 0 for global ones (and for addLoop: the first free track, and a per-loop setting: every loop) */
  track: number;
  value: number;
}

/** A value for an error text: short, and never the whole of a huge string, array or buffer. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (v instanceof Uint8Array) return `a buffer of ${v.length} bytes`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

export function commandCode(name: unknown, field = 'command'): Cmd {
  const i = typeof name === 'string' ? (COMMANDS as readonly string[]).indexOf(name) : -1;
  if (i < 0) throw new InputError(field, `unknown command ${describeValue(name)}; accepted: ${COMMANDS.join(', ')}`);
  return i as Cmd;
}

export function numberIn(v: unknown, field: string, [lo, hi]: readonly [number, number], integer = false): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new InputError(field, `${describeValue(v)} is not a number; accepted: ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
  }
  if (n < lo || n > hi || (integer && !Number.isInteger(n))) {
    throw new InputError(field, `${n} is out of range; accepted: ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
  }
  return n;
}

export function booleanOf(v: unknown, field: string): boolean {
  if (v === true || v === 1 || v === 'on' || v === 'true' || v === '1') return true;
  if (v === false || v === 0 || v === 'off' || v === 'false' || v === '0') return false;
  throw new InputError(field, `${describeValue(v)} is not on/off; accepted: true, false, 1, 0, "on", "off"`);
}

export function quantizeCode(v: unknown, field: string): number {
  const i = typeof v === 'string' ? (QUANTIZE_MODES as readonly string[]).indexOf(v) : -1;
  if (i < 0) throw new InputError(field, `${describeValue(v)} is not a quantize mode; accepted: ${QUANTIZE_MODES.join(', ')}`);
  return i;
}

/** An input source ("all", 3, "3", "3-4") as its code (lib/engine/routing.ts), for an input of `channels` channels. */
export function sourceOf(v: unknown, field: string, channels: number): number {
  const code = sourceCode(v, channels);
  if (typeof code === 'string') throw new InputError(field, code);
  return code;
}

/** The value a command carries, validated; 0 for commands that take none. */
export function commandValue(cmd: Cmd, v: unknown, field: string): number {
  switch (cmd) {
    case Cmd.Volume:
    case Cmd.MetronomeVolume:
    case Cmd.MonitorVolume:
    case Cmd.MasterVolume:
    case Cmd.InputGain:
      return numberIn(v, field, LIMITS.volume);
    case Cmd.Pan:
      return numberIn(v, field, LIMITS.pan);
    case Cmd.Feedback:
      return numberIn(v, field, LIMITS.feedback);
    case Cmd.Bpm:
      return numberIn(v, field, LIMITS.bpm);
    case Cmd.BeatsPerBar:
      return numberIn(v, field, LIMITS.beatsPerBar, true);
    case Cmd.Quantize:
      return quantizeCode(v, field);
    case Cmd.Metronome:
    case Cmd.Monitor:
      return booleanOf(v, field) ? 1 : 0;
    case Cmd.Input:
    case Cmd.MonitorInput:
      return sourceOf(v, field, LIMITS.inputChannels[1]);
    case Cmd.CueBus:
      return numberIn(v, field, [0, LIMITS.outputBuses[1]], true);
    case Cmd.CueSend:
      return numberIn(v, field, LIMITS.volume);
    case Cmd.MetronomeBus:
    case Cmd.MonitorBus:
      return numberIn(v, field, [1, LIMITS.outputBuses[1]], true);
    default:
      return 0;
  }
}

/**
 * Validates {command, track, value}. `prefix` is prepended to field names ("events[3]." in a script).
 * Track commands need a track from 1 to `tracks`; addLoop takes one optionally (none or 0: the first
 * free track), and so do the per-loop settings quantize, feedback and inputGain (none or 0: every loop).
 */
export function parseCommand(
  input: { command?: unknown; track?: unknown; value?: unknown },
  tracks: number,
  prefix = '',
): ParsedCommand {
  const cmd = commandCode(input.command, `${prefix}command`);
  const name = COMMANDS[cmd];
  let track = 0;
  const optional = cmd === Cmd.AddLoop || isPerLoopSetting(cmd);
  if (optional && input.track !== undefined) {
    track = numberIn(input.track, `${prefix}track`, [0, tracks], true);
  } else if (isTrackCommand(cmd) && !optional) {
    if (input.track === undefined) throw new InputError(`${prefix}track`, `missing; "${name}" needs a track from 1 to ${tracks}`);
    track = numberIn(input.track, `${prefix}track`, [1, tracks], true);
  }
  const value = commandValue(cmd, input.value, `${prefix}value`);
  return { name, cmd, track, value };
}
