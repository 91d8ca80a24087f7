import { spawn } from 'child_process';
import path from 'path';
import { InputError } from '../engine/commands';

// `loopstation build-audio`: compiles the PortAudio binding against the system's PortAudio
// (scripts/build-portaudio-binding.js, which also runs at postinstall when naudiodon did not install).
// node-gyp's output goes straight to the terminal: a failed build must show why.

const SCRIPT = path.join(__dirname, '..', '..', '..', 'scripts', 'build-portaudio-binding.js');

export function buildAudioCommand(args: string[]): Promise<number> {
  if (args.length > 0) throw new InputError('build-audio', `takes no arguments, got ${JSON.stringify(args[0])}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
