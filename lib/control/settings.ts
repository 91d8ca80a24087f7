import { InputError, booleanOf, numberIn, sourceOf } from '../engine/commands';
import { ConfigError } from './errors';

// A node's own settings from its editor fields (strings or numbers), checked at deploy. A bad one is a
// ConfigError naming the field; an empty field means "leave the engine as it is".

type Def = Record<string, unknown>;

function asConfigError<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InputError) throw new ConfigError(field, err.problem);
    throw err;
  }
}

const isBlank = (v: unknown) => v === undefined || v === null || v === '';

export function optionalNumber(def: Def, field: string, range: readonly [number, number], integer = false): number | undefined {
  return isBlank(def[field]) ? undefined : asConfigError(field, () => numberIn(def[field], field, range, integer));
}

export function requiredNumber(def: Def, field: string, range: readonly [number, number], fallback: number, integer = false): number {
  return optionalNumber(def, field, range, integer) ?? fallback;
}

export function optionalBoolean(def: Def, field: string): boolean | undefined {
  return isBlank(def[field]) ? undefined : asConfigError(field, () => booleanOf(def[field], field));
}

/** An input source ("all", "3", "3-4") as its code (lib/engine/routing.ts), for an engine of `channels` inputs. */
export function optionalSource(def: Def, field: string, channels: number): number | undefined {
  return isBlank(def[field]) ? undefined : asConfigError(field, () => sourceOf(def[field], field, channels));
}
