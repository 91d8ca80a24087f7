import { Socket, createSocket } from 'dgram';
import { networkInterfaces } from 'os';
import { Endpoint } from './codec';
import { LinkNetwork } from './peer';

// The Link peer's real network: IPv4 UDP. One socket bound to the multicast port on all addresses
// joins the group on each interface and hears every alive and bye-bye; on each interface, a discovery
// socket (alives out to the group, responses in and out) and a measurement socket (pings and pongs),
// both on ports the system picks. Multicast leaves with a TTL of 1 and is looped back, so peers on
// this machine hear it too.

export const MULTICAST_GROUP = '224.76.78.75';
export const MULTICAST_PORT = 20808;

interface InterfaceSockets {
  address: string;
  netmask: string;
  discovery: Socket;
  measurement: Socket;
}

export interface UdpOptions {
  /** interface addresses; default: every non-internal IPv4 interface, or the internal ones if none */
  interfaces?: string[];
  /** default MULTICAST_PORT; the tests use others to keep sessions apart */
  port?: number;
  group?: string;
}

function ipv4Interfaces(): { address: string; netmask: string }[] {
  const all = Object.values(networkInterfaces())
    .flat()
    .filter((i): i is NonNullable<typeof i> => i !== undefined && i.family === 'IPv4');
  const external = all.filter((i) => !i.internal);
  return (external.length > 0 ? external : all).map((i) => ({ address: i.address, netmask: i.netmask }));
}

const toInt = (a: string): number => a.split('.').reduce((n, p) => (n << 8) | Number(p), 0) >>> 0;

function bind(socket: Socket, port: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

export class UdpNetwork implements LinkNetwork {
  onDatagram?: LinkNetwork['onDatagram'];
  private listener: Socket | undefined;
  private sockets: InterfaceSockets[] = [];
  private readonly port: number;
  private readonly group: string;

  constructor(private readonly options: UdpOptions = {}) {
    this.port = options.port ?? MULTICAST_PORT;
    this.group = options.group ?? MULTICAST_GROUP;
  }

  /** Opens the sockets; rejects naming the interface that failed. */
  async open(): Promise<void> {
    const wanted = this.options.interfaces;
    const found = ipv4Interfaces();
    const ifaces = wanted ? wanted.map((address) => found.find((i) => i.address === address) ?? { address, netmask: '255.255.255.255' }) : found;
    if (ifaces.length === 0) throw new Error('Link: no IPv4 network interface to join a session on');
    const listener = createSocket({ type: 'udp4', reuseAddr: true });
    this.listener = listener;
    listener.on('message', (data, rinfo) => this.onDatagram?.('discovery', data, { address: rinfo.address, port: rinfo.port }));
    listener.on('error', () => undefined);
    await bind(listener, this.port);
    listener.setMulticastLoopback(true);
    for (const { address, netmask } of ifaces) {
      try {
        listener.addMembership(this.group, address);
        const discovery = createSocket('udp4');
        const measurement = createSocket('udp4');
        this.sockets.push({ address, netmask, discovery, measurement });
        for (const [socket, kind] of [[discovery, 'discovery'], [measurement, 'measurement']] as const) {
          socket.on('message', (data, rinfo) => this.onDatagram?.(kind, data, { address: rinfo.address, port: rinfo.port }));
          // a datagram refused by one peer (ICMP unreachable) must not end the others
          socket.on('error', () => undefined);
          await bind(socket, 0, address);
        }
        discovery.setMulticastInterface(address);
        discovery.setMulticastTTL(1);
        discovery.setMulticastLoopback(true);
      } catch (err) {
        await this.close();
        throw new Error(`Link: cannot use the interface ${address}: ${(err as Error).message}`);
      }
    }
  }

  close(): Promise<void> {
    const all = [this.listener, ...this.sockets.flatMap((s) => [s.discovery, s.measurement])].filter((s): s is Socket => s !== undefined);
    this.listener = undefined;
    this.sockets = [];
    return Promise.all(all.map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    }))).then(() => undefined);
  }

  interfaces(): string[] {
    return this.sockets.map((s) => s.address);
  }

  measurementEndpoint(via: string): Endpoint {
    const s = this.at(via);
    return { address: s.address, port: s.measurement.address().port };
  }

  multicast(via: string, data: Buffer): void {
    this.at(via).discovery.send(data, this.port, this.group);
  }

  send(via: string, socket: 'discovery' | 'measurement', data: Buffer, to: Endpoint): void {
    this.at(via)[socket].send(data, to.port, to.address);
  }

  route(address: string): string {
    const a = toInt(address);
    const s = this.sockets.find((i) => ((toInt(i.address) ^ a) & toInt(i.netmask)) === 0) ?? this.sockets[0];
    return s.address;
  }

  private at(via: string): InterfaceSockets {
    const s = this.sockets.find((i) => i.address === via);
    if (!s) throw new Error(`Link: no socket on the interface ${via}`);
    return s;
  }
}

/** This machine's monotonic clock in µs: CLOCK_MONOTONIC on Linux, the clock audio hosts and Link apps read. */
export const hostMicros = (): number => Number(process.hrtime.bigint() / 1000n);
