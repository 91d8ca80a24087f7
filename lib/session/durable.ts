// Durable files: a file is either its old self or complete (temp file, fsync, rename, fsync of the
// folder), and append-only files whose writes run in order on libuv's threadpool, so the caller (the
// engine host, between audio blocks) only queues bytes and never waits for the disk.

import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';

/** A hidden name beside `file` (same folder, so same file system: the rename is atomic). */
export function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `bytes` to a temp file, fsyncs it and renames it over `file`. On failure the temp file is removed and the fs error rethrown. */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPath(file);
  try {
    const handle = await fs.promises.open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined); // report the original failure
    throw err;
  }
  await syncDir(path.dirname(file));
}

/** writeFileAtomic for callers that may block (the CLI). */
export function writeFileAtomicSync(file: string, bytes: Uint8Array): void {
  const tmp = tempPath(file);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // report the original failure, not this one
    }
    throw err;
  }
  syncDirSync(path.dirname(file));
}

/** Makes a rename or a new file's name durable; some systems (Windows) cannot open a folder, and lose nothing but that. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/** fsyncs a file written without a handle kept open. */
export async function syncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** syncDir, blocking. */
export function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * A file written only by appends, in call order. append() queues and returns at once; the writes run on
 * the threadpool. The first failure is kept in `error`, later operations are skipped, and sync()/close()
 * reject with it, so a full disk is reported once and never thrown into the caller's block loop.
 */
export class AppendFile {
  error: Error | null = null;
  /** bytes handed to append() */
  queuedBytes = 0;
  /** bytes the OS has accepted (they survive a crash of this process; a power cut only once synced) */
  writtenBytes = 0;
  private chain: Promise<void>;
  private handle: fs.promises.FileHandle | null = null;

  /** flags 'wx': a new file (fails if it exists). The file is opened once `after` settles (its folder is made). */
  constructor(readonly file: string, flags = 'wx', after: Promise<unknown> = Promise.resolve()) {
    this.chain = after.then(() => fs.promises.open(file, flags), () => fs.promises.open(file, flags)).then(
      (h) => {
        this.handle = h;
      },
      (err: Error) => {
        this.error = err;
      },
    );
  }

  /** Queues `bytes`; they must not change until `released` is called (after the write, or once it failed). */
  append(bytes: Uint8Array, released?: () => void): void {
    this.queuedBytes += bytes.length;
    this.chain = this.chain.then(async () => {
      try {
        if (this.error || !this.handle) return;
        let off = 0;
        while (off < bytes.length) {
          const { bytesWritten } = await this.handle.write(bytes, off, bytes.length - off);
          off += bytesWritten;
          this.writtenBytes += bytesWritten;
        }
      } catch (err) {
        this.error = err as Error;
      } finally {
        released?.();
      }
    });
  }

  /** Resolves once everything appended so far is on the disk. */
  sync(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.error || !this.handle) return;
      await this.handle.sync().catch((err: Error) => {
        this.error = err;
      });
    });
    return this.chain.then(() => this.throwIfFailed());
  }

  /** Closes the file after the queued writes (without syncing). */
  close(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const h = this.handle;
      this.handle = null;
      if (h) await h.close().catch(() => undefined);
    });
    return this.chain.then(() => this.throwIfFailed());
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }
}

/**
 * A file streamed in pieces that appears under its name only once complete: appends go to a temp file,
 * commit() fsyncs, renames and fsyncs the folder; abort() removes the temp file.
 */
export class StagedFile {
  private readonly tmp: string;
  private readonly out: AppendFile;

  constructor(readonly file: string) {
    this.tmp = tempPath(file);
    this.out = new AppendFile(this.tmp);
  }

  append(bytes: Uint8Array, released?: () => void): void {
    this.out.append(bytes, released);
  }

  async commit(): Promise<void> {
    try {
      await this.out.sync();
      await this.out.close();
      await fs.promises.rename(this.tmp, this.file);
    } catch (err) {
      await this.abort();
      throw err;
    }
    await syncDir(path.dirname(this.file));
  }

  async abort(): Promise<void> {
    await this.out.close().catch(() => undefined);
    await fs.promises.rm(this.tmp, { force: true }).catch(() => undefined);
  }
}
