import * as dgram from 'dgram';
import { OscMessage, OscValue, decodePacket, encodeMessage } from '../../lib/osc/codec';

// A real OSC client over UDP on 127.0.0.1, for the server tests: sends messages and raw packets, and
// collects what comes back to its own port (with the port it came from).
//
// sync() is the barrier that proves an absence without waiting: a /ping sent after the messages under
// test is answered only once the server has handled them (it handles datagrams in the order they
// arrive), and its answer reaches this client after anything the server sent it before (one socket to
// one socket on loopback keeps order). So once the answer is here, whatever those messages caused is
// here too, or never comes.

/** The return path of sync()'s pings; their answers are not collected in received. */
const SYNC_PATH = '/test-client-sync';

export interface Received extends OscMessage {
  fromPort: number;
}

export class TestOscClient {
  readonly received: Received[] = [];
  private readonly socket = dgram.createSocket('udp4');
  private waiters: (() => void)[] = [];
  private syncsAnswered = 0;
  port = 0;

  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.port = this.socket.address().port;
    this.socket.on('message', (data, rinfo) => {
      for (const m of decodeLenient(data)) {
        if (m.address === SYNC_PATH) this.syncsAnswered++;
        else this.received.push({ ...m, fromPort: rinfo.port });
      }
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    return this;
  }

  /** Our return URL, as a SooperLooper client gives it. */
  get url(): string {
    return `osc.udp://127.0.0.1:${this.port}/`;
  }

  send(serverPort: number, address: string, types: string, args: OscValue[]): Promise<void> {
    return this.raw(serverPort, encodeMessage(address, types, args));
  }

  raw(serverPort: number, packet: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(packet, serverPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** Waits until `count` messages have arrived in all (or fails after `ms`). */
  async waitFor(count: number, ms = 5000): Promise<Received[]> {
    await this.until(() => this.received.length >= count, ms, () => `expected ${count} replies, got ${this.received.length}: ${JSON.stringify(this.received)}`);
    return this.received;
  }

  /**
   * Returns once the server at serverPort has handled everything this client sent it before, and
   * everything it sent back meanwhile has arrived (see above). ms only bounds a server that is gone.
   */
  async sync(serverPort: number, ms = 5000): Promise<void> {
    const want = this.syncsAnswered + 1;
    await this.send(serverPort, '/ping', 'ss', [this.url, SYNC_PATH]);
    await this.until(() => this.syncsAnswered >= want, ms, () => `the server on port ${serverPort} did not answer a /ping within ${ms} ms`);
  }

  private async until(done: () => boolean, ms: number, failure: () => string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(failure());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and returns its one reply. */
  async ask(serverPort: number, address: string, types: string, args: OscValue[]): Promise<Received> {
    const before = this.received.length;
    await this.send(serverPort, address, types, args);
    return (await this.waitFor(before + 1))[before];
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** SooperLooper answers an empty return path with an empty address (not OSC): read that too. */
export function decodeLenient(data: Buffer): OscMessage[] {
  if (data[0] !== 0) return decodePacket(data);
  const copy = Buffer.from(data);
  copy[0] = 0x2f;
  return decodePacket(copy).map((m) => ({ ...m, address: '' }));
}
