import { parseArgs } from 'node:util';
import { InputError } from '../engine/commands';

// Command-line options through node:util parseArgs (strict: an unknown option, a missing value or a
// stray argument is an error), its errors turned into InputErrors that name the option and say what
// is accepted, like every other bad input.

export type OptionTypes = Record<string, { type: 'string' | 'boolean' }>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCliArgs(args: string[], options: OptionTypes, allowPositionals = false): ParsedArgs {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: { ...parsed.values } as ParsedArgs['values'], positionals: parsed.positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === undefined || !code.startsWith('ERR_PARSE_ARGS_')) throw err;
    const quoted = /'([^' ]+)/.exec((err as Error).message)?.[1] ?? 'arguments';
    const accepted = Object.keys(options).map((k) => `--${k}`).join(', ');
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new InputError(quoted, `unknown option; accepted: ${accepted}`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new InputError(quoted, `unexpected argument; accepted: ${accepted}`);
      default: {
        const name = quoted.replace(/^-+/, '');
        if (options[name]?.type === 'boolean') throw new InputError(quoted, 'takes no value');
        throw new InputError(quoted, 'needs a value (one starting with "-" as --option=-value)');
      }
    }
  }
}

/** A string option's value (parseArgs gives strings for options of type 'string'). */
export function stringOption(values: ParsedArgs['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
