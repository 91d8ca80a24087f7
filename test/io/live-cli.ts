// Runs `loopstation live` as a user would, but with a pipe for stdin (keys are single characters there
// too) and stdout collected line by line, for test/io/live.test.ts and test/audio/host-pulse.test.ts.

import { ChildProcess, spawn } from 'child_process';
import path from 'path';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'loopstation.js');

export class LiveRun {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  private partial = '';
  private readonly waiters: { re: RegExp; resolve(line: string): void }[] = [];
  readonly exited: Promise<number>;

  constructor(args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(process.execPath, [BIN, 'live', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) this.add(line);
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : 0))));
  }

  private add(line: string): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      if (w.re.test(line)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  /** Types keys (or a line) on stdin. */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  /** The next line matching `re` printed after now (or any line so far with `fromStart`). */
  waitFor(re: RegExp, timeoutMs = 15000, fromStart = false): Promise<string> {
    if (fromStart) {
      const seen = this.lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = { re, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${this.lines.slice(-15).join('\n')}\nstderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
