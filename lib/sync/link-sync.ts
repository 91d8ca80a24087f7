import { commandRequest, CommandRequest } from '../control/commands';
import type { EngineStatus } from '../control/status';
import { booleanOf } from '../engine/commands';
import { LIMITS } from '../engine/types';
import type { HostConfig, HostEvent, HostRequest } from '../io/protocol';
import { LinkBeat, LinkFollower } from './link-follower';
import { LinkNetwork, LinkPeer, Timers } from './link/peer';
import { UdpNetwork, hostMicros } from './link/udp';

// An engine in a Link session, on the control side (the Node-RED process): a LinkPeer on the network,
// and a LinkFollower that steers the engine through the ordinary command path (timed 'bpm' and
// 'downbeat' commands), the way MIDI clock follow does. It runs beside the engine connection, so it
// does not care where or how the engine host runs.
//
// - The engine's tempo and bar lines follow the session's (quantum = beats per bar). While a loop is
//   recorded (from its pending record on), only corrections beyond a millisecond are made, so that its
//   length is whole session bars to the frame and it stays on the session's bar lines as it repeats.
// - A 'bpm' command from any node (metronome, panel, tap tempo, OSC) is taken out of the command path
//   and proposed to the session instead; the engine gets it back as the session's tempo.
// - With start/stop sync, the session stopping stops the playing loops and the click, and starting
//   plays them again (a quantized 'play' waits for the bar line, which is the session's). The other
//   way, the looper's own start and stop are proposed to the session: the click turned on or off (the
//   metronome node's start/stop, the panel's click button), a loop played while the session is
//   stopped, the last playing loop stopped or paused (the panel, OSC, any node).
// - Every change and every beat goes out on the connection's 'link' channel (LinkEvent) for the nodes
//   and the panel.

// EventEmitter's own listener type
type Listener = (...args: any[]) => void;

/** What LinkSync needs of the EngineConnection. */
export interface SyncedConnection {
  readonly config: HostConfig;
  send(req: HostRequest): boolean;
  on(channel: string, listener: Listener): unknown;
  off(channel: string, listener: Listener): unknown;
  emit(channel: string, e: unknown): boolean;
  setRequestFilter(filter: ((req: HostRequest) => boolean) | undefined): void;
}

export interface LinkEvent {
  type: 'link';
  /** other peers in the session */
  peers: number;
  tempo: number;
  quantum: number;
  /** the session's start/stop state (false when start/stop sync is off) */
  playing: boolean;
  /** on a beat: the session's beat when the engine's beat sounded */
  beat?: LinkBeat;
}

export type LinkTransport = LinkNetwork & { open(): Promise<void>; close(): Promise<void> };

export interface LinkSyncOptions {
  startStopSync: boolean;
  /** the network (default: UDP on every IPv4 interface) */
  network?: LinkTransport;
  /** µs, monotonic (default: process.hrtime) */
  clock?: () => number;
  timers?: Timers;
  /** 0 <= random() < 1, for the peer's node ids (default Math.random) */
  random?: () => number;
  log?: (text: string) => void;
}


/** Track states in which a loop is heard going round (its transport runs). */
const PLAYING_STATES: readonly string[] = ['recording', 'playing', 'overdubbing', 'multiplying', 'replacing', 'oneshot', 'substituting', 'inserting'];
/** Track states in which a loop's length is being set. */
const LENGTH_STATES: readonly string[] = ['recording', 'multiplying', 'inserting'];

export class LinkSync {
  readonly peer: LinkPeer;
  private readonly network: LinkTransport;
  private readonly follower: LinkFollower;
  private readonly clock: () => number;
  private readonly listeners: [string, Listener][] = [];
  private readonly trackStates = new Map<number, string>();
  private readonly stoppedByLink = new Set<number>();
  /** whether the click is on, as configured and then commanded */
  private clickOn: boolean;
  private clickStoppedByLink = false;
  /** tracks whose loop length is being set, or will be at a pending frame */
  private readonly settingLength = new Set<number>();
  private sendingOwn = false;

  constructor(private readonly connection: SyncedConnection, private readonly options: LinkSyncOptions) {
    const config = connection.config;
    this.clock = options.clock ?? hostMicros;
    this.network = options.network ?? new UdpNetwork();
    this.peer = new LinkPeer({ network: this.network, clock: this.clock, bpm: config.bpm, timers: options.timers, random: options.random, startStopSync: options.startStopSync });
    this.follower = new LinkFollower(config.sampleRate, config.bpm, config.beatsPerBar, config.tracks);
    this.clickOn = config.metronome.enabled;
  }

  /** Opens the sockets and joins the network; rejects when no socket can be opened. */
  async start(): Promise<void> {
    // the connection's listeners first, before the users' (a beat's 'link' event must come before the beat reaches them)
    this.listen('beat', (e: Extract<HostEvent, { type: 'beat' }>) => this.onBeat(e));
    this.listen('tempo', (e: Extract<HostEvent, { type: 'tempo' }>) => this.follower.tempo(e));
    this.listen('state', (e: Extract<HostEvent, { type: 'state' }>) => {
      this.trackStates.set(e.track, e.state);
      this.lengthState(e.track, LENGTH_STATES.includes(e.state));
    });
    this.listen('pending', (e: Extract<HostEvent, { type: 'pending' }>) => LENGTH_STATES.includes(e.state) && this.lengthState(e.track, true));
    this.listen('status', (s: EngineStatus) => this.onEngineStatus(s));
    this.connection.setRequestFilter((req) => this.filter(req));
    await this.network.open();
    this.peer.on('tempo', () => {
      this.sendTempo();
      this.publish();
    });
    this.peer.on('peers', (n) => {
      this.options.log?.(`Link: ${n} ${n === 1 ? 'peer' : 'peers'}`);
      this.publish();
    });
    this.peer.on('startStop', (playing) => this.onStartStop(playing));
    this.peer.enable();
    this.publish();
  }

  /** Leaves the session (bye-bye) and closes the sockets. */
  async close(): Promise<void> {
    this.peer.disable();
    this.peer.removeAllListeners();
    for (const [channel, listener] of this.listeners.splice(0)) this.connection.off(channel, listener);
    this.connection.setRequestFilter(undefined);
    await this.network.close();
  }

  /** When the engine frame `frame` is heard (µs, this machine's monotonic clock), once beats have come. */
  heardAt(frame: number): number | undefined {
    return this.follower.clock.isKnown ? this.follower.clock.heardAt(frame) : undefined;
  }

  status(): LinkEvent {
    return { type: 'link', peers: this.peer.peerCount, tempo: this.peer.tempo, quantum: this.follower.quantum, playing: this.options.startStopSync && this.peer.isPlaying };
  }

  private listen(channel: string, listener: Listener): void {
    this.listeners.push([channel, listener]);
    this.connection.on(channel, listener);
  }

  private publish(beat?: LinkBeat): void {
    const e = this.status();
    if (beat) e.beat = beat;
    this.connection.emit('link', e);
  }

  private send(req: CommandRequest): void {
    this.sendingOwn = true;
    try {
      this.connection.send(req);
    } finally {
      this.sendingOwn = false;
    }
  }

  /**
   * A tempo from a node is a proposal to the session, and does not reach the engine. With start/stop
   * sync, the looper's own start and stop also go to the session (and on to the engine): the click
   * turned on or off, a loop played while the session is stopped, the last playing loop stopped.
   * Everything else passes.
   */
  private filter(req: HostRequest): boolean {
    if (this.sendingOwn || req.type !== 'command') return false;
    if (req.command === 'bpm') {
      const bpm = req.value;
      if (typeof bpm !== 'number' || !(bpm >= LIMITS.bpm[0] && bpm <= LIMITS.bpm[1])) return false;
      this.peer.setTempo(bpm);
      return true;
    }
    if (!this.options.startStopSync) return false;
    const proposal = this.transportChange(req);
    if (proposal !== undefined && proposal !== this.peer.isPlaying) this.peer.setPlaying(proposal);
    // after the session's change: a click turned off by hand stops the session, whose start brings it back
    if (req.command === 'metronome' && proposal !== undefined) this.clickOn = proposal;
    return false;
  }

  /** Whether `req` starts (true) or stops (false) the looper as a whole, or neither. */
  private transportChange(req: CommandRequest): boolean | undefined {
    const state = this.trackStates.get(req.track);
    const playing = (track: number): boolean => PLAYING_STATES.includes(this.trackStates.get(track) ?? 'empty');
    const lastPlaying = (): boolean => playing(req.track) && [...this.trackStates.keys()].every((t) => t === req.track || !playing(t));
    switch (req.command) {
      case 'metronome':
        try {
          return booleanOf(req.value, 'value');
        } catch {
          return undefined; // the engine refuses it, and says why
        }
      case 'play':
        return true;
      case 'toggle':
        if (state === 'stopped') return true;
        return lastPlaying() ? false : undefined;
      case 'stop':
      case 'pause':
        return lastPlaying() ? false : undefined;
      default:
        return undefined;
    }
  }

  private sendTempo(): void {
    const bpm = Math.min(LIMITS.bpm[1], Math.max(LIMITS.bpm[0], this.peer.tempo));
    this.follower.expectTempo(bpm);
    this.send(commandRequest('bpm', 0, bpm, this.connection.config.tracks));
  }

  /**
   * Held from the pending event on, not from the record's frame: the engine fixed that frame when the
   * command came, so a correction in between would move the bar lines away from the record's start.
   */
  private lengthState(track: number, setting: boolean): void {
    if (setting) this.settingLength.add(track);
    else this.settingLength.delete(track);
    this.follower.settingLength = this.settingLength.size > 0;
  }

  private onEngineStatus(s: EngineStatus): void {
    const c = this.connection.config;
    if (s === 'starting') {
      this.follower.restart(c.bpm, c.beatsPerBar);
      this.settingLength.clear();
      this.follower.settingLength = false;
    }
    // a new host starts at the configured tempo: the session's right away
    if (s === 'running' || s === 'no-device') this.sendTempo();
  }

  private onBeat(e: Extract<HostEvent, { type: 'beat' }>): void {
    const step = this.follower.beat(e, this.clock(), this.peer);
    for (const c of step.commands) this.send(c);
    this.publish(step.link);
  }

  /** The session started or stopped (by a peer or by us): the loops and the click follow. */
  private onStartStop(playing: boolean): void {
    this.publish();
    if (!this.options.startStopSync) return;
    const tracks = this.connection.config.tracks;
    if (!playing) {
      for (const [track, state] of this.trackStates) {
        if (state !== 'playing') continue;
        this.stoppedByLink.add(track);
        this.send(commandRequest('stop', track, undefined, tracks));
      }
      if (this.clickOn) {
        this.clickStoppedByLink = true;
        this.clickOn = false;
        this.send(commandRequest('metronome', 0, false, tracks));
      }
      return;
    }
    for (const track of this.stoppedByLink) this.send(commandRequest('play', track, undefined, tracks));
    this.stoppedByLink.clear();
    if (this.clickStoppedByLink) {
      this.clickOn = true;
      this.send(commandRequest('metronome', 0, true, tracks));
    }
    this.clickStoppedByLink = false;
  }
}
