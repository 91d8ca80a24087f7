import { describeValue, InputError, parseCommand } from '../engine/commands';
import { sourceCode } from '../engine/routing';
import { CommandName } from '../engine/types';
import { HostRequest } from '../io/protocol';

// Node msgs to engine commands, through the engine's own validation (parseCommand), with its field
// names ("track", "value") renamed to where the value was in the msg ("msg.payload", "msg.topic").

export type CommandRequest = Extract<HostRequest, { type: 'command' }>;

export function commandRequest(
  name: CommandName,
  /** validated here: a msg may carry it as a string */
  track: unknown,
  value: unknown,
  tracks: number,
  fields: { track?: string; value?: string } = {},
): CommandRequest {
  try {
    const c = parseCommand({ command: name, track, value }, tracks);
    return { type: 'command', command: c.name, track: c.track, value: c.value };
  } catch (err) {
    const renamed = err instanceof InputError ? fields[err.field as 'track' | 'value'] : undefined;
    throw renamed ? new InputError(renamed, (err as InputError).problem) : err;
  }
}


/** "<value> <isNot>; accepted: ...", or "missing; ..." when there was no value. */
export function refuse(field: string, value: unknown, isNot: string, accepted: string): InputError {
  return new InputError(field, value === undefined ? `missing; accepted: ${accepted}` : `${describeValue(value)} ${isNot}; accepted: ${accepted}`);
}

/** An input source a msg names ("all", 3, "3-4") as its code, for an engine of `channels` inputs; refused naming `field`. */
export function msgSource(v: unknown, channels: number, field: string): number {
  const code = sourceCode(v, channels);
  if (typeof code === 'number') return code;
  throw refuse(field, v, 'is not an input of this engine', code.slice(code.indexOf('accepted: ') + 10));
}

/** A key a settings object does not have. */
export function unknownKey(field: string, key: string, accepted: readonly string[]): InputError {
  return new InputError(`${field}.${key.slice(0, 40)}`, `unknown setting; accepted: ${accepted.join(', ')}`);
}

/** An object with no settings in it. */
export function emptyObject(field: string, accepted: readonly string[]): InputError {
  return new InputError(field, `an empty object sets nothing; accepted: ${accepted.join(', ')}`);
}

/** A command word: trimmed and lower-cased (dashboards and MQTT send "Record", " play\n"). */
export function wordOf(v: unknown): string | undefined {
  return typeof v === 'string' && v.length <= 64 ? v.trim().toLowerCase() : undefined;
}
