import * as fs from 'fs';
import * as path from 'path';
import { InputError, numberIn } from '../engine/commands';
import { MAX_EXPORT_LOOPS, mixSourceFromSession, renderMixdown, writeMixdown } from '../session/export';
import { SessionLibrary, SessionSummary } from '../session/library';
import { WavError, writeError } from '../session/wav';
import { OptionTypes, parseCliArgs, stringOption } from './args';

// `loopstation session ...`: named sessions in a session folder, offline (with the engine host stopped,
// or on a copy of its folder). The live host does the same through SessionLibrary from msgs.

export const SESSION_USAGE = `usage: loopstation session <command> --dir <session folder> ...

  list [--json]                          the saved sessions (and the autosave)
  save <name>                            the autosave (the live session) becomes session <name>
  load <name>                            session <name> becomes the autosave: the host restores it on its next start
  delete <name>                          removes session <name>
  export <name> [--out <folder>] [--loops N] [--format float32|int16]
                                         mix.wav and stems/trackN.wav of the session's loops ("autosave" too)
  import <name> <file.wav> --track N [--sample-rate R] [--bpm B]
                                         adds a WAV as a new loop of track N (creates the session if needed)
`;

const FLAGS: Record<string, { positional: number; options: string[] }> = {
  list: { positional: 0, options: ['json'] },
  save: { positional: 1, options: [] },
  load: { positional: 1, options: [] },
  delete: { positional: 1, options: [] },
  export: { positional: 1, options: ['out', 'loops', 'format'] },
  import: { positional: 2, options: ['track', 'sample-rate', 'bpm'] },
};
const SWITCHES = ['json'];

function optionTypes(names: string[]): OptionTypes {
  const types: OptionTypes = {};
  for (const name of names) types[name] = { type: SWITCHES.includes(name) ? 'boolean' : 'string' };
  return types;
}

/** Runs a session subcommand; writes one line per result to `out`. Throws InputError for bad arguments. */
export async function sessionCommand(args: string[], out: (line: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  const spec = FLAGS[sub ?? ''];
  if (!spec) throw new InputError('session', `unknown subcommand ${JSON.stringify(sub ?? '')}; accepted: ${Object.keys(FLAGS).join(', ')}`);
  const { positionals, values } = parseCliArgs(rest, optionTypes(['dir', ...spec.options]), true);
  const option = (name: string): string | undefined => stringOption(values, name);
  if (positionals.length !== spec.positional) {
    throw new InputError(`session ${sub}`, `expects ${spec.positional} argument(s), got ${positionals.length}; see loopstation session --help`);
  }
  const dir = option('dir');
  if (dir === undefined) throw new InputError('--dir', 'missing; accepted: the session folder (the engine config node\'s folder)');
  const library = new SessionLibrary(path.resolve(dir));
  const [name, file] = positionals;
  switch (sub) {
    case 'list': {
      const auto = await library.autosaveSummary();
      const all = [...(auto ? [auto] : []), ...(await library.list())];
      if (values.json === true) out(JSON.stringify(all));
      else if (all.length === 0) out(`no sessions in ${library.root}`);
      else for (const s of all) out(describe(s));
      return;
    }
    case 'save':
      out(`saved ${describe(await library.save(name, library.autosaveDir))}`);
      return;
    case 'load':
      await library.loadIntoAutosave(name);
      out(`${name} is now the autosave in ${library.autosaveDir}; the engine host restores it when it next starts`);
      return;
    case 'delete':
      await library.delete(name);
      out(`deleted ${name}`);
      return;
    case 'export': {
      const loopsArg = option('loops');
      const loops = loopsArg === undefined ? 1 : numberIn(loopsArg, '--loops', [1, MAX_EXPORT_LOOPS], true);
      const format = option('format') ?? 'float32';
      if (format !== 'float32' && format !== 'int16') throw new InputError('--format', `${JSON.stringify(format)}; accepted: float32, int16`);
      const outDir = path.resolve(option('out') ?? `${name}-export`);
      const { source, problems } = await mixSourceFromSession(await library.existing(name));
      for (const p of problems) out(`warning: ${p}`);
      const mixdown = renderMixdown(source, loops);
      // --out is the user's choice: what cannot be written there (a device named mix.wav, a file named like the folder) names it
      const files = await fs.promises.mkdir(outDir, { recursive: true })
        .then(() => writeMixdown(mixdown, { mix: path.join(outDir, 'mix.wav'), stemsDir: path.join(outDir, 'stems'), format }))
        .catch((err: Error) => {
          throw new InputError('--out', (err instanceof WavError ? err : writeError(outDir, err)).message);
        });
      out(`wrote ${files.length} file(s) in ${outDir} (${(mixdown.frames / mixdown.sampleRate).toFixed(2)} s, ${mixdown.sampleRate} Hz, ${format})`);
      return;
    }
    case 'import': {
      const track = option('track');
      if (track === undefined) throw new InputError('--track', 'missing; accepted: the track number to import into');
      const sampleRate = option('sample-rate');
      const bpm = option('bpm');
      const r = await library.importWav(name, path.resolve(file), track, {
        sampleRate: sampleRate === undefined ? undefined : Number(sampleRate),
        bpm: bpm === undefined ? undefined : Number(bpm),
      });
      out(`imported ${file} into ${name}, track ${track}: ${(r.frames / r.sampleRate).toFixed(2)} s at ${r.sampleRate} Hz (from ${r.sourceRate} Hz)`);
      return;
    }
  }
}

function describe(s: SessionSummary): string {
  if (s.problem) return `${s.name}: damaged: ${s.problem}`;
  const mib = (s.bytes / 2 ** 20).toFixed(1);
  return `${s.name}: ${s.tracks} track(s), ${s.layers} layer(s), ${s.seconds.toFixed(2)} s, ${s.bpm} bpm, ${s.sampleRate} Hz, ${mib} MiB, saved ${s.savedAt || '?'}`;
}
