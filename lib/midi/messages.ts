// MIDI 1.0 messages the looper sends and understands: the real-time clock (24 ppqn), start, continue,
// stop, song position pointer, and the channel messages a controller sends (notes, control changes,
// program changes).

export const MIDI = {
  NoteOff: 0x80,
  NoteOn: 0x90,
  ControlChange: 0xb0,
  ProgramChange: 0xc0,
  SongPosition: 0xf2,
  Clock: 0xf8,
  Start: 0xfa,
  Continue: 0xfb,
  Stop: 0xfc,
} as const;

/** MIDI clock ticks per quarter note. */
export const PPQN = 24;
/** A song position pointer counts MIDI beats (16th notes) of 6 ticks. */
export const TICKS_PER_SPP = 6;

export type MidiEvent =
  | { kind: 'note'; channel: number; note: number; velocity: number }
  | { kind: 'noteoff'; channel: number; note: number }
  | { kind: 'cc'; channel: number; controller: number; value: number }
  | { kind: 'program'; channel: number; program: number }
  | { kind: 'clock' }
  | { kind: 'start' }
  | { kind: 'continue' }
  | { kind: 'stop' }
  /** position in MIDI beats (16th notes) */
  | { kind: 'position'; beats: number };

const isData = (b: unknown): b is number => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 0x7f;

/**
 * One MIDI message (its bytes, as a port or a msg.payload gives them) as an event; channels are 1-16.
 * Returns null for what the looper does not use or what is not a well-formed message.
 */
export function parseMidi(bytes: readonly number[]): MidiEvent | null {
  const status = bytes[0];
  if (typeof status !== 'number' || status < 0x80 || status > 0xff) return null;
  switch (status) {
    case MIDI.Clock:
      return bytes.length === 1 ? { kind: 'clock' } : null;
    case MIDI.Start:
      return bytes.length === 1 ? { kind: 'start' } : null;
    case MIDI.Continue:
      return bytes.length === 1 ? { kind: 'continue' } : null;
    case MIDI.Stop:
      return bytes.length === 1 ? { kind: 'stop' } : null;
    case MIDI.SongPosition:
      return bytes.length === 3 && isData(bytes[1]) && isData(bytes[2]) ? { kind: 'position', beats: bytes[1] | (bytes[2] << 7) } : null;
    default:
      break;
  }
  const type = status & 0xf0;
  const channel = (status & 0x0f) + 1;
  if (type === MIDI.ProgramChange) return bytes.length === 2 && isData(bytes[1]) ? { kind: 'program', channel, program: bytes[1] } : null;
  if (bytes.length !== 3 || !isData(bytes[1]) || !isData(bytes[2])) return null;
  switch (type) {
    case MIDI.NoteOn:
      // velocity 0 is a note off (running-status senders use it)
      return bytes[2] === 0 ? { kind: 'noteoff', channel, note: bytes[1] } : { kind: 'note', channel, note: bytes[1], velocity: bytes[2] };
    case MIDI.NoteOff:
      return { kind: 'noteoff', channel, note: bytes[1] };
    case MIDI.ControlChange:
      return { kind: 'cc', channel, controller: bytes[1], value: bytes[2] };
    default:
      return null;
  }
}

/** The bytes of a song position pointer at `beats` MIDI beats (16ths; 0..16383). */
export function songPosition(beats: number): number[] {
  const b = Math.max(0, Math.min(0x3fff, Math.floor(beats)));
  return [MIDI.SongPosition, b & 0x7f, b >> 7];
}
