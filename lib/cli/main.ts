import { InputError } from '../engine/commands';
import { UserError } from '../errors';
import { buildAudioCommand } from './build-audio';
import { devicesCommand } from './devices';
import { live } from './live';
import { oscCommand } from './osc';
import { renderFile } from './render';
import { SESSION_USAGE, sessionCommand } from './session';

// The `loopstation` command. Errors a user can fix are one line on stderr and a non-zero exit, never a stack trace.

const USAGE = `usage: loopstation <command>

  render <script.json>   render a script offline to WAV (see docs/render.md)
  session <command>      list, save, load, delete, export, import named sessions (loopstation session --help)
  devices [--json]       list the audio devices PortAudio sees (name, host API, channels, rate)
  live [options]         play the looper in a terminal (loopstation live --help)
  osc [options]          the looper played by SooperLooper OSC controllers (loopstation osc --help)
  build-audio            build the PortAudio binding against the system's PortAudio (Raspberry Pi arm64)
  help                   this text
`;

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'render': {
        if (rest.length !== 1) throw new InputError('render', 'expects one argument: the script file (loopstation render script.json)');
        const { script, stems } = await renderFile(rest[0]);
        const seconds = (script.frames / script.options.sampleRate).toFixed(2);
        const stemNote = stems.length > 0 ? ` and ${stems.length} stem(s) in ${script.stemsDir}` : '';
        process.stdout.write(`wrote ${script.busPaths.join(', ')} (${seconds} s, ${script.options.sampleRate} Hz, ${script.format})${stemNote}\n`);
        return 0;
      }
      case 'session':
        if (rest.length === 0 || ['help', '--help', '-h'].includes(rest[0])) {
          process.stdout.write(SESSION_USAGE);
          return rest.length === 0 ? 1 : 0;
        }
        await sessionCommand(rest, (line) => process.stdout.write(`${line}\n`));
        return 0;
      case 'devices':
        return await devicesCommand(rest);
      case 'live':
        return await live(rest);
      case 'osc':
        return await oscCommand(rest);
      case 'build-audio':
        return await buildAudioCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new InputError('command', `unknown command ${JSON.stringify(command)}; accepted: render, session, devices, live, osc, build-audio, help`);
    }
  } catch (e) {
    // errors a user can fix: one line and their exit code (bad input 2, an unavailable device 1)
    if (e instanceof UserError) {
      process.stderr.write(`loopstation ${command ?? ''}: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
