import { Duplex, Readable, Writable } from 'stream';

// naudiodon's JavaScript half (its index.js), for the binding `loopstation build-audio` compiles from
// naudiodon's C++ sources against the system's PortAudio (native/binding.gyp): on arm64, where the
// naudiodon package cannot link, and with GCC 14, where it cannot compile. Same stream shapes as
// naudiodon's AudioIO, minus what lib/io/portaudio.ts removes anyway: segfault-handler, the 'finish'
// handler that quits twice, the 'error' handler that prints.

interface NativeResult {
  err?: Error;
  finished?: boolean;
  buf?: Buffer;
}
interface NativeAudioIO {
  start(): void;
  read(size: number): Promise<NativeResult>;
  write(chunk: Buffer): Promise<Error | undefined>;
  quit(mode: 'WAIT' | 'ABORT'): Promise<void>;
}
export interface NaudiodonNative {
  getDevices(): unknown;
  getHostAPIs(): unknown;
  create(options: object): NativeAudioIO;
}

type Stream = (Readable | Writable | Duplex) & { start(): void; quit(cb?: () => void): Promise<void> };

/** naudiodon's AudioIO over a native binding with naudiodon's exports. */
export function audioIO(native: NaudiodonNative, options: { inOptions?: { highwaterMark: number }; outOptions?: { highwaterMark: number } }): Stream {
  const io = native.create(options);
  let stream: Stream;
  const read = (size: number): void => {
    io.read(size).then(
      (r) => {
        if (r.err) stream.destroy(r.err);
        else (stream as Readable).push(r.finished ? null : (r.buf ?? null));
      },
      (err: Error) => stream.destroy(err),
    );
  };
  const write = (chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void => {
    io.write(chunk).then((err) => cb(err ?? null), cb);
  };
  if (options.inOptions && options.outOptions) {
    stream = new Duplex({
      allowHalfOpen: false,
      readableHighWaterMark: options.inOptions.highwaterMark,
      writableHighWaterMark: options.outOptions.highwaterMark,
      read,
      write,
    }) as Stream;
  } else if (options.inOptions) {
    stream = new Readable({ highWaterMark: options.inOptions.highwaterMark, read }) as Stream;
  } else if (options.outOptions) {
    stream = new Writable({ highWaterMark: options.outOptions.highwaterMark, decodeStrings: false, write }) as Stream;
  } else {
    throw new Error('AudioIO needs inOptions and/or outOptions');
  }
  stream.start = () => io.start();
  stream.quit = async (cb?: () => void) => {
    await io.quit('WAIT');
    cb?.();
  };
  return stream;
}
