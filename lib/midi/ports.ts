// Real MIDI ports through @julusian/midi (RtMidi: ALSA sequencer on Linux), an optional dependency
// loaded on first use: the package may be missing (its install failed or was skipped) and, where it is
// there, RtMidi throws when the machine has no MIDI system (no /dev/snd/seq). Either way the caller gets
// a sentence saying why, and the node still works from msgs.

export interface MidiInputPort {
  close(): void;
}

export interface MidiOutputPort {
  send(bytes: number[]): void;
  close(): void;
}

export interface MidiPorts {
  inputs(): string[];
  outputs(): string[];
  /** Opens an input by name; `onMessage` gets the bytes and their arrival time (performance.now()). */
  openInput(name: string, onMessage: (bytes: number[], at: number) => void): MidiInputPort;
  openOutput(name: string): MidiOutputPort;
}

export const MIDI_INSTALL_HINT = 'MIDI ports need the optional package @julusian/midi and an ALSA sequencer (/dev/snd/seq; on a Pi: sudo modprobe snd-seq)';

interface RtInput {
  on(event: 'message', fn: (deltaTime: number, message: number[]) => void): void;
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void;
  openPortByName(name: string): void;
  closePort(): void;
  destroy(): void;
}
interface RtOutput {
  openPortByName(name: string): void;
  sendMessage(message: number[]): void;
  closePort(): void;
  destroy(): void;
}
interface RtMidi {
  Input: { new (): RtInput; getPortNames(): string[] };
  Output: { new (): RtOutput; getPortNames(): string[] };
}

let loaded: { ports: MidiPorts } | { error: string } | undefined;

/** The MIDI ports of this machine, or why there are none. Loads the binding once per process. */
export function loadMidiPorts(): { ports: MidiPorts } | { error: string } {
  if (loaded) return loaded;
  let rt: RtMidi;
  try {
    rt = require('@julusian/midi') as RtMidi;
    // RtMidi opens the sequencer client here: this is the test for a working MIDI system
    rt.Input.getPortNames();
  } catch (err) {
    loaded = { error: `${MIDI_INSTALL_HINT} (${(err as Error).message.split('\n')[0]})` };
    return loaded;
  }
  loaded = { ports: rtMidiPorts(rt) };
  return loaded;
}

/** The port names for the editor, or empty lists and why. */
export function midiPortList(): { inputs: string[]; outputs: string[]; error?: string } {
  const loaded = loadMidiPorts();
  if ('error' in loaded) return { inputs: [], outputs: [], error: loaded.error };
  try {
    return { inputs: loaded.ports.inputs(), outputs: loaded.ports.outputs() };
  } catch (err) {
    return { inputs: [], outputs: [], error: (err as Error).message };
  }
}

function rtMidiPorts(rt: RtMidi): MidiPorts {
  return {
    inputs: () => rt.Input.getPortNames(),
    outputs: () => rt.Output.getPortNames(),
    openInput(name, onMessage) {
      const input = new rt.Input();
      // clock (timing) messages are what the follower needs: RtMidi ignores them unless told
      input.ignoreTypes(true, false, true);
      // arrival times on the clock the engine's beats are heard on, so phases compare (the follower's
      // regression absorbs this thread's jitter)
      input.on('message', (_deltaTime, message) => onMessage(message, performance.now()));
      input.openPortByName(name);
      return {
        close: () => {
          input.closePort();
          input.destroy();
        },
      };
    },
    openOutput(name) {
      const output = new rt.Output();
      output.openPortByName(name);
      return {
        send: (bytes) => output.sendMessage(bytes),
        close: () => {
          output.closePort();
          output.destroy();
        },
      };
    },
  };
}
