// The base of every error a user can fix (a bad msg, setting, argument, file or device), as opposed to
// a bug: it carries the exit code the `loopstation` command ends with, and its message is one line
// that says what was wrong and what is accepted. Subclasses keep their own `name`, which crosses the
// IPC boundary with the message.

/** Exit codes of the `loopstation` command for errors a user can fix. */
export const EXIT = {
  /** bad input: an argument, a script, a WAV file */
  badInput: 2,
  /** the machine: no PortAudio binding, no such device, the engine not running */
  unavailable: 1,
} as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}
