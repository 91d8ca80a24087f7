import * as dgram from 'dgram';
import { promises as dns } from 'dns';
import { isIP } from 'net';
import { hostname, networkInterfaces } from 'os';
import { CommandName, DEFAULT_OPTIONS } from '../engine/types';
import type { HostStatus } from '../io/client';
import type { HostEvent, HostRequest } from '../io/protocol';
import { commandRequest } from '../control/commands';
import { OscError, decodePacket, encodeMessage } from './codec';
import { Reply, SooperLooperOsc, Source, AUTO_UPDATE } from './sooperlooper';
import { parseReturnUrl, serverUrl } from './url';

// The SooperLooper-compatible OSC server: one UDP socket (replies leave from it, as SooperLooper's do),
// the protocol of ./sooperlooper.ts, and the engine reached through an OscLink, so it drives any
// backend: an EngineClient, or a Node-RED node's engine connection.
//
// Security: OSC has no authentication, so the server listens on 127.0.0.1 unless told otherwise, and
// no path in an OSC message reaches the file system. A reply goes to the port and path of the return
// URL the request gave, but only to its sender: the URL's host must be the sender's address (or both
// are addresses of this machine), so nobody can make the looper send packets to a third host. Save and
// load reach only named sessions in the engine's session folder.

export const DEFAULT_OSC_PORT = 9951;
export const DEFAULT_OSC_HOST = '127.0.0.1';
/** Host names resolved for return URLs, kept this long (a flood of names must not grow memory). */
const DNS_CACHE = { entries: 64, ms: 60000 };

/** How the server reaches the engine. */
export interface OscLink {
  /** Sends a command; may throw when no host runs (the command is then dropped). */
  send(req: HostRequest): void;
  status(): Promise<HostStatus>;
  /** A session request (save or load by name: the host checks the name and owns the folder). */
  session(command: 'save' | 'load', name: string): Promise<unknown>;
}

export interface OscServerOptions {
  link: OscLink;
  /** engine tracks: the most loops there can be */
  tracks: number;
  /** the engine's live loops at the start (HostConfig.loops; default: every track): its status corrects it */
  loops?: number;
  sampleRate: number;
  bpm: number;
  beatsPerBar: number;
  /** the engine's block size and loop memory, as SooperLooper reports them (trigger_latency, total_time) */
  blockFrames?: number;
  memoryMiB?: number;
  /** /quit: the looper is asked to end (default: ignored) */
  quit?: () => void;
  /** something asked of OSC could not be done (a /loop_add with no free track), in words */
  warn?: (text: string) => void;
  /** UDP port (default 9951; 0 = any free port) */
  port?: number;
  /** address to listen on (default 127.0.0.1; "0.0.0.0" or "::" open it to the network) */
  host?: string;
  /** ms, monotonic (default performance.now) */
  now?: () => number;
}

export interface OscStats {
  /** messages that reached a method */
  handled: number;
  /** well-formed messages no method took (unknown path or arguments) */
  unmatched: number;
  /** packets that are not OSC */
  malformed: number;
  replies: number;
  /** replies not sent: a return URL that is not the sender's, not UDP, or a name that does not resolve */
  refusedReplies: number;
  /** commands the engine did not take (not running, or refused as input) */
  droppedCommands: number;
}

export class OscServer {
  readonly protocol: SooperLooperOsc;
  readonly stats: OscStats = { handled: 0, unmatched: 0, malformed: 0, replies: 0, refusedReplies: 0, droppedCommands: 0 };
  private socket: dgram.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private bound: { address: string; port: number } | undefined;
  private readonly now: () => number;
  private readonly dnsCache = new Map<string, { addresses: string[]; at: number }>();

  constructor(private readonly o: OscServerOptions) {
    this.now = o.now ?? (() => performance.now());
    this.protocol = new SooperLooperOsc({
      tracks: o.tracks,
      loops: o.loops,
      sampleRate: o.sampleRate,
      bpm: o.bpm,
      beatsPerBar: o.beatsPerBar,
      blockFrames: o.blockFrames,
      memoryMiB: o.memoryMiB ?? DEFAULT_OPTIONS.memoryMiB,
      quit: o.quit,
      warn: o.warn,
      command: (name, track, value) => this.command(name, track, value),
      reply: (r) => void this.reply(r),
      serverUrl: () => this.url(),
      requestStatus: () => this.refresh(),
      session: (command, name) => o.link.session(command, name),
    });
  }

  /** Where it listens, once started. */
  get address(): { address: string; port: number } | undefined {
    return this.bound;
  }

  /** Binds the socket; rejects (EADDRINUSE, EACCES...) when it cannot. */
  start(): Promise<{ address: string; port: number }> {
    const host = this.o.host ?? DEFAULT_OSC_HOST;
    const socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        this.socket = undefined;
        socket.close();
        reject(err);
      });
      socket.bind(this.o.port ?? DEFAULT_OSC_PORT, host, () => {
        socket.removeAllListeners('error');
        // a send to a closed port comes back as an error on some systems: it must not end the server
        socket.on('error', () => undefined);
        socket.on('message', (data, rinfo) => this.packet(data, { address: rinfo.address, port: rinfo.port }));
        const a = socket.address();
        this.bound = { address: a.address, port: a.port };
        this.refresh();
        resolve(this.bound);
      });
    });
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.bound = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  /** A host event (state, pending, tempo, layers, levels, beat), as the engine client emits it. */
  hostEvent(e: HostEvent): void {
    this.protocol.hostEvent(e, this.now());
  }

  /** The host (re)started: read its state again. */
  hostRestarted(): void {
    this.refresh();
  }

  /** Asks the host for its state; a host that is not running leaves the mirror as it is. */
  private refresh(): void {
    this.o.link.status().then((s) => this.protocol.hostStatus(s, this.now()), () => undefined);
  }

  /**
   * Our URL for /ping answers: the address we listen on, or on every address (0.0.0.0, ::) this
   * machine's name, as liblo's lo_server_get_url gives it, so a remote client can use it.
   */
  private url(): string {
    const address = this.bound?.address ?? DEFAULT_OSC_HOST;
    return serverUrl(address === '0.0.0.0' || address === '::' ? hostname() : address, this.bound?.port ?? 0);
  }

  private packet(data: Buffer, source: Source): void {
    let messages;
    try {
      messages = decodePacket(data);
    } catch (err) {
      if (!(err instanceof OscError)) throw err;
      this.stats.malformed++;
      return;
    }
    const now = this.now();
    for (const m of messages) {
      if (this.protocol.handle(m, source, now)) this.stats.handled++;
      else this.stats.unmatched++;
    }
    this.updateTimer();
  }

  private updateTimer(): void {
    const need = this.protocol.hasAutoUpdates;
    if (need && !this.timer) {
      this.timer = setInterval(() => {
        this.protocol.tick(this.now());
        if (!this.protocol.hasAutoUpdates) this.updateTimer();
      }, AUTO_UPDATE.min);
    } else if (!need && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private command(name: CommandName, track: number, value: number | string | undefined): void {
    try {
      this.o.link.send(commandRequest(name, track, value, this.o.tracks));
    } catch (err) {
      // not running (the node's context throws), or a value the engine refuses: OSC has nobody to tell
      if (!(err instanceof Error)) throw err;
      this.stats.droppedCommands++;
    }
  }

  private async reply(r: Reply): Promise<void> {
    const socket = this.socket;
    const target = await this.replyAddress(r);
    if (!target || !socket || socket !== this.socket) {
      this.stats.refusedReplies++;
      return;
    }
    let data: Buffer;
    try {
      data = encodeMessage(r.path, r.types, r.args);
    } catch (err) {
      // a return path with a NUL in it cannot be sent
      if (!(err instanceof OscError)) throw err;
      this.stats.refusedReplies++;
      return;
    }
    this.stats.replies++;
    socket.send(data, target.port, target.address, () => undefined);
  }

  /** The address a reply may go to: the return URL's port, at its host if that is the sender. */
  private async replyAddress(r: Reply): Promise<{ address: string; port: number } | null> {
    const url = parseReturnUrl(r.url);
    // SooperLooper answers an empty return path too (with an empty address)
    if (!url || !(r.path.startsWith('/') || r.path === '')) return null;
    const family = isIP(this.bound?.address ?? DEFAULT_OSC_HOST) === 6 ? 6 : 4;
    const candidates = (await this.resolve(url.host)).filter((a) => isIP(a) === family || (family === 6 && isIP(a) === 4));
    const sender = unmapped(r.source.address);
    if (candidates.some((a) => unmapped(a) === sender)) return { address: r.source.address, port: url.port };
    const mine = candidates.find((a) => isLocal(unmapped(a)));
    return mine && isLocal(sender) ? { address: mine, port: url.port } : null;
  }

  private async resolve(host: string): Promise<string[]> {
    if (isIP(host)) return [host];
    const now = Date.now();
    const hit = this.dnsCache.get(host);
    if (hit && now - hit.at < DNS_CACHE.ms) return hit.addresses;
    let addresses: string[];
    try {
      addresses = (await dns.lookup(host, { all: true })).map((a) => a.address);
    } catch {
      addresses = [];
    }
    if (this.dnsCache.size >= DNS_CACHE.entries) this.dnsCache.delete(this.dnsCache.keys().next().value as string);
    this.dnsCache.set(host, { addresses, at: now });
    return addresses;
  }
}

/** "::ffff:127.0.0.1" (an IPv4 sender on a dual-stack socket) as "127.0.0.1". */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Whether an address is this machine's: loopback, or one of its interfaces'. */
function isLocal(address: string): boolean {
  if (address.startsWith('127.') || address === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === address));
}
