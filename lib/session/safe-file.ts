import * as fs from 'fs';
import * as path from 'path';

// Paths the package reads or writes in places a user (a script, a msg, a terminal) chose: only regular
// files are read, with a size limit checked before a byte is read, and a write only ever replaces a
// regular file. A device (/dev/zero, /dev/full), a named pipe, a socket or a folder is refused by name,
// so a render, an import or an export can neither hang, nor fill the memory, nor replace a device node.
// Files inside a session folder are opened without following symbolic links, and folders a session
// name leads to must stay inside the session root (a planted link cannot send writes elsewhere).

/** A problem with a path, worded for "<file>: <problem>" messages (WavError, InputError). */
export class PathProblem extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'PathProblem';
  }
}

const MiB = 2 ** 20;

/** "a character device", "a named pipe", ... for a stat that is not a regular file. */
export function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export function sizeText(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(bytes >= 100 * MiB ? 0 : 1)} MiB` : `${bytes} bytes`;
}

export interface ReadLimits {
  /** refuse a file larger than this, before reading it */
  maxBytes: number;
  /** refuse a symbolic link instead of following it (files inside a session folder) */
  noFollow?: boolean;
}

// O_NONBLOCK: opening a named pipe must not wait for a writer (the fstat below then refuses it)
const openFlags = (o: ReadLimits) => fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (o.noFollow ? fs.constants.O_NOFOLLOW : 0);

function checkOpened(file: string, st: fs.Stats, o: ReadLimits): void {
  if (!st.isFile()) throw new PathProblem(file, `is ${kindOf(st)}, not a regular file`);
  if (st.size > o.maxBytes) throw new PathProblem(file, `is ${sizeText(st.size)}; accepted: files up to ${sizeText(o.maxBytes)}`);
}

function openProblem(file: string, err: unknown, o: ReadLimits): Error {
  if ((err as NodeJS.ErrnoException).code === 'ELOOP' && o.noFollow) return new PathProblem(file, 'is a symbolic link; accepted: a regular file');
  return err as Error;
}

/** Reads a regular file of at most o.maxBytes. Throws PathProblem for another kind of file or a larger one, fs errors as they are. */
export function readRegularFileSync(file: string, o: ReadLimits): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, openFlags(o));
  } catch (err) {
    throw openProblem(file, err, o);
  }
  try {
    checkOpened(file, fs.fstatSync(fd), o);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** readRegularFileSync on the threadpool. */
export async function readRegularFile(file: string, o: ReadLimits): Promise<Buffer> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, openFlags(o));
  } catch (err) {
    throw openProblem(file, err, o);
  }
  try {
    checkOpened(file, await handle.stat(), o);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Throws PathProblem unless `file` is absent or a regular file (what a write may replace). */
export function checkReplaceable(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isFile()) throw new PathProblem(file, `is ${kindOf(st)}; accepted: a new file or a regular file to replace`);
}

/**
 * Throws PathProblem when `dir` (which must exist) resolves, through symbolic links, to a place outside
 * `root`: a link planted in a session root must not lead reads or writes elsewhere.
 */
export function checkInside(dir: string, root: string): void {
  const real = fs.realpathSync(dir);
  const top = fs.realpathSync(root);
  if (real !== top && !real.startsWith(top + path.sep)) {
    throw new PathProblem(dir, `leads outside ${root} (to ${real}, through a symbolic link); accepted: a folder inside it`);
  }
}
