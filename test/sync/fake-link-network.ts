import { Endpoint } from '../../lib/sync/link/codec';
import { LinkNetwork, LinkPeer, Timers, realTimers } from '../../lib/sync/link/peer';
import { hostMicros } from '../../lib/sync/link/udp';

// A network and a clock for Link peers in a test: virtual time (µs) that moves only when the test
// says, timers run in time order, datagrams arrive after a set latency. Each peer has its own host
// clock (virtual time + a skew), as machines do.

/** What the hub needs of time: virtual in the unit tests, real where Node-RED runs the peer. */
export interface HubTime extends Timers {
  readonly now: number;
}

/** Real time, for a fake network under Node-RED's own timers. */
export class RealTime implements HubTime {
  get now(): number {
    return hostMicros();
  }
  setTimeout = realTimers.setTimeout;
  clearTimeout = realTimers.clearTimeout;
}

export class VirtualTime implements HubTime {
  now = 1_000_000;
  private queue: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.now + Math.max(0, ms) * 1000, seq: this.seq++, fn };
    this.queue.push(t);
    return t;
  }
  clearTimeout(handle: unknown): void {
    const i = this.queue.indexOf(handle as (typeof this.queue)[number]);
    if (i >= 0) this.queue.splice(i, 1);
  }
  /** Runs everything due within the next `ms`. */
  advance(ms: number): void {
    const end = this.now + ms * 1000;
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.queue.length; i++) {
        const q = this.queue[i];
        if (q.at <= end && (next < 0 || q.at < this.queue[next].at || (q.at === this.queue[next].at && q.seq < this.queue[next].seq))) next = i;
      }
      if (next < 0) break;
      const [t] = this.queue.splice(next, 1);
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
}

export class FakeHub {
  readonly nets: FakeNetwork[] = [];
  /** one-way latency, µs */
  latency = 100;
  /** extra latency (µs) on datagrams towards a given address: an asymmetric path */
  extraTowards = new Map<string, number>();
  /** extra latency (µs) per datagram, drawn for each: a path with jitter (Wi-Fi) */
  jitter: (() => number) | undefined;
  /** addresses whose datagrams are lost */
  cut = new Set<string>();

  constructor(readonly time: HubTime) {}

  add(address: string): FakeNetwork {
    const n = new FakeNetwork(this, address);
    this.nets.push(n);
    return n;
  }

  deliver(from: Endpoint, to: Endpoint | 'multicast', data: Buffer): void {
    if (this.cut.has(from.address)) return;
    for (const net of this.nets) {
      if (to === 'multicast' ? net.address === from.address : net.address !== to.address) continue;
      const socket = to !== 'multicast' && to.port === net.measurementPort ? 'measurement' : 'discovery';
      const delay = this.latency + (this.extraTowards.get(net.address) ?? 0) + (this.jitter?.() ?? 0);
      this.time.setTimeout(() => net.onDatagram?.(socket, Buffer.from(data), from), delay / 1000);
    }
  }
}

export class FakeNetwork implements LinkNetwork {
  onDatagram?: LinkNetwork['onDatagram'];
  readonly discoveryPort = 30000;
  readonly measurementPort = 30001;
  /** datagrams sent, for assertions: [socket or 'multicast', bytes] */
  readonly sent: [string, Buffer][] = [];

  open = (): Promise<void> => Promise.resolve();
  close = (): Promise<void> => Promise.resolve();

  constructor(private readonly hub: FakeHub, readonly address: string) {}

  interfaces(): string[] {
    return [this.address];
  }
  measurementEndpoint(): Endpoint {
    return { address: this.address, port: this.measurementPort };
  }
  multicast(_via: string, data: Buffer): void {
    this.sent.push(['multicast', data]);
    this.hub.deliver({ address: this.address, port: this.discoveryPort }, 'multicast', data);
  }
  send(_via: string, socket: 'discovery' | 'measurement', data: Buffer, to: Endpoint): void {
    this.sent.push([socket, data]);
    this.hub.deliver({ address: this.address, port: socket === 'discovery' ? this.discoveryPort : this.measurementPort }, to, data);
  }
  route(): string {
    return this.address;
  }
}

/** A peer on the hub whose host clock runs `skew` µs ahead of virtual time. */
export function fakePeer(hub: FakeHub, address: string, bpm: number, skew: number, startStopSync = false, ids?: () => number): LinkPeer {
  const net = hub.add(address);
  let seed = address.split('.').reduce((n, p) => n * 31 + Number(p), 7);
  const random = ids ?? ((): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  });
  return new LinkPeer({ network: net, clock: () => hub.time.now + skew, timers: hub.time, bpm, random, startStopSync });
}
