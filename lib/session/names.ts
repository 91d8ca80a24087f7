import { InputError } from '../engine/commands';

// Session names come from msgs, HTTP and the terminal and become folder names, so they are checked
// against a short allow-list rather than a deny-list: no separators, no "..", no leading dot (hidden and
// staging folders start with one), nothing a file system on the Pi's SD card or a Windows share refuses.

export const MAX_NAME_LENGTH = 64;
/** The live session's own folder; `session export autosave` etc. refer to it, `save autosave` is refused. */
export const AUTOSAVE = 'autosave';

const ACCEPTED = `1 to ${MAX_NAME_LENGTH} letters, digits, spaces, "-", "_" or "." (not first or last, no "..")`;
const PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9 _.-]*[A-Za-z0-9_-])?$/;
// Device names Windows refuses as file names, with or without an extension.
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Returns `name` if it is a valid session name, else throws an InputError saying what is accepted. */
export function sessionName(name: unknown, field = 'name', allowAutosave = false): string {
  if (typeof name !== 'string' || name === '') throw new InputError(field, `missing; accepted: ${ACCEPTED}`);
  const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);
  if (name.length > MAX_NAME_LENGTH) throw new InputError(field, `${shown} is too long (${name.length} characters); accepted: ${ACCEPTED}`);
  if (/[/\\]/.test(name) || name.includes('..') || /^[A-Za-z]:/.test(name)) {
    throw new InputError(field, `${shown} is a path; accepted: a plain name of ${ACCEPTED}`);
  }
  if (!PATTERN.test(name)) throw new InputError(field, `${shown} has characters that are not accepted; accepted: ${ACCEPTED}`);
  if (RESERVED.test(name)) throw new InputError(field, `${shown} is a reserved device name; accepted: ${ACCEPTED}`);
  if (name.toLowerCase() === AUTOSAVE && !allowAutosave) throw new InputError(field, `"${AUTOSAVE}" is the live session's own name; choose another`);
  return name;
}
