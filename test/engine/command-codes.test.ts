import { strict as assert } from 'assert';
import { COMMANDS, Cmd, CommandName, isTrackCommand } from '../../lib/engine/types';

// COMMANDS (the names msgs, scripts and the CLI use) and the Cmd enum (the codes the engine, the IPC
// protocol and sessions store) are parallel lists. Both tables below must name every member of the
// other side, or this file does not compile; the checks tie each name to its code.

const CODE_OF: Record<CommandName, Cmd> = {
  record: Cmd.Record, overdub: Cmd.Overdub, play: Cmd.Play, stop: Cmd.Stop, toggle: Cmd.Toggle, clear: Cmd.Clear,
  undo: Cmd.Undo, redo: Cmd.Redo, mute: Cmd.Mute, unmute: Cmd.Unmute, volume: Cmd.Volume, pan: Cmd.Pan, solo: Cmd.Solo,
  unsolo: Cmd.Unsolo, bpm: Cmd.Bpm, beatsPerBar: Cmd.BeatsPerBar, quantize: Cmd.Quantize, metronome: Cmd.Metronome,
  metronomeVolume: Cmd.MetronomeVolume, monitor: Cmd.Monitor, monitorVolume: Cmd.MonitorVolume, masterVolume: Cmd.MasterVolume,
  feedback: Cmd.Feedback, reverse: Cmd.Reverse, half: Cmd.Half, double: Cmd.Double, multiply: Cmd.Multiply,
  replace: Cmd.Replace, oneshot: Cmd.OneShot, retrigger: Cmd.Retrigger, inputGain: Cmd.InputGain, downbeat: Cmd.Downbeat,
  pause: Cmd.Pause, substitute: Cmd.Substitute, insert: Cmd.Insert, addLoop: Cmd.AddLoop, deleteLoop: Cmd.DeleteLoop,
  input: Cmd.Input, cueBus: Cmd.CueBus, cueSend: Cmd.CueSend, metronomeBus: Cmd.MetronomeBus, monitorBus: Cmd.MonitorBus,
  monitorInput: Cmd.MonitorInput,
};

const NAME_OF: { [K in Cmd]: CommandName } = {
  [Cmd.Record]: 'record', [Cmd.Overdub]: 'overdub', [Cmd.Play]: 'play', [Cmd.Stop]: 'stop', [Cmd.Toggle]: 'toggle',
  [Cmd.Clear]: 'clear', [Cmd.Undo]: 'undo', [Cmd.Redo]: 'redo', [Cmd.Mute]: 'mute', [Cmd.Unmute]: 'unmute',
  [Cmd.Volume]: 'volume', [Cmd.Pan]: 'pan', [Cmd.Solo]: 'solo', [Cmd.Unsolo]: 'unsolo', [Cmd.Bpm]: 'bpm',
  [Cmd.BeatsPerBar]: 'beatsPerBar', [Cmd.Quantize]: 'quantize', [Cmd.Metronome]: 'metronome',
  [Cmd.MetronomeVolume]: 'metronomeVolume', [Cmd.Monitor]: 'monitor', [Cmd.MonitorVolume]: 'monitorVolume',
  [Cmd.MasterVolume]: 'masterVolume', [Cmd.Feedback]: 'feedback', [Cmd.Reverse]: 'reverse', [Cmd.Half]: 'half',
  [Cmd.Double]: 'double', [Cmd.Multiply]: 'multiply', [Cmd.Replace]: 'replace', [Cmd.OneShot]: 'oneshot',
  [Cmd.Retrigger]: 'retrigger', [Cmd.InputGain]: 'inputGain', [Cmd.Downbeat]: 'downbeat',
  [Cmd.Pause]: 'pause', [Cmd.Substitute]: 'substitute', [Cmd.Insert]: 'insert', [Cmd.AddLoop]: 'addLoop',
  [Cmd.DeleteLoop]: 'deleteLoop',
  [Cmd.Input]: 'input', [Cmd.CueBus]: 'cueBus', [Cmd.CueSend]: 'cueSend', [Cmd.MetronomeBus]: 'metronomeBus',
  [Cmd.MonitorBus]: 'monitorBus', [Cmd.MonitorInput]: 'monitorInput',
};

/** The commands that act on one track (the rest are global). */
const TRACK_COMMANDS: CommandName[] = [
  'record', 'overdub', 'play', 'stop', 'toggle', 'clear', 'undo', 'redo', 'mute', 'unmute', 'volume', 'pan', 'solo', 'unsolo',
  'reverse', 'half', 'double', 'multiply', 'replace', 'oneshot', 'retrigger', 'pause', 'substitute', 'insert',
  'addLoop', 'deleteLoop', 'input', 'cueBus', 'cueSend',
];

describe('engine: command names and codes', () => {
  it('each name in COMMANDS sits at the index of its Cmd code, and the codes are 0..n-1 with no gap', () => {
    COMMANDS.forEach((name, i) => assert.equal(CODE_OF[name], i, name));
    const codes = Object.keys(NAME_OF).map(Number).sort((a, b) => a - b);
    assert.deepEqual(codes, COMMANDS.map((_, i) => i));
    for (const code of codes) assert.equal(COMMANDS[code], NAME_OF[code as Cmd]);
  });

  it('isTrackCommand says which act on one track', () => {
    for (const name of COMMANDS) assert.equal(isTrackCommand(CODE_OF[name]), TRACK_COMMANDS.includes(name), name);
  });
});
