import { EngineConnection } from '../../../lib/control/engine-connection';
import { DEFAULT_HOST_CONFIG } from '../../../lib/control/host-config';
import { ForkedClient } from '../../../lib/io/forked-client';
import { HostConfig, HostEvent } from '../../../lib/io/protocol';
import { LinkEvent, LinkSync } from '../../../lib/sync/link-sync';
import { UdpNetwork, hostMicros } from '../../../lib/sync/link/udp';

// An engine host (forked, null backend: paced in real time, silent) in a Link session through
// LinkSync, as the engine config node runs it, recording each beat: for the interop scenarios and the
// bench, inside the private network namespace.

export interface HeardBeat {
  beat: number;
  beatInBar: number;
  frame: number;
  /** µs when the beat event arrived */
  arrived: number;
  /** µs when it sounded, as LinkSync's frame clock has it */
  heard: number;
  link: LinkEvent['beat'];
}

export interface HeardState {
  track: number;
  state: string;
  frame: number;
  /** the loop's length in frames */
  frames: number;
}

export class LinkedEngine {
  readonly connection: EngineConnection;
  /** undefined for an engine on its own clock (a baseline for the bench) */
  readonly sync: LinkSync | undefined;
  /** the sync's sockets (undefined without Link) */
  readonly network: UdpNetwork | undefined;
  readonly beats: HeardBeat[] = [];
  readonly tempos: { bpm: number; arrived: number; frame: number }[] = [];
  readonly states: HeardState[] = [];
  /** xrun events from the host: audio lost, whatever the cause */
  xruns = 0;
  /** the session's start/stop state as LinkSync published it, in order */
  readonly playing: boolean[] = [];
  private readonly user = { id: 'linked-engine', engineStatus: (): void => undefined };

  /** random: the Link peer's, for its node ids (session-checks.ts nodeIds) */
  constructor(bpm: number, config: Partial<HostConfig> = {}, random?: () => number) {
    const host: HostConfig = { ...DEFAULT_HOST_CONFIG, backend: 'null', sessionDir: '', memoryMiB: 16, tracks: 2, bpm, sync: 'link', ...config };
    this.connection = new EngineConnection(host, (c) => new ForkedClient(c));
    this.network = host.sync === 'link' ? new UdpNetwork({ interfaces: ['127.0.0.1'] }) : undefined;
    const sync = this.network ? new LinkSync(this.connection, { startStopSync: host.linkStartStop ?? false, network: this.network, random }) : undefined;
    this.sync = sync;
    this.connection.on('link', (e: LinkEvent) => {
      if (this.playing[this.playing.length - 1] !== e.playing) this.playing.push(e.playing);
      if (!e.beat || !sync) return;
      const b = e.beat;
      const pending = this.pendingBeat;
      if (pending && pending.beat === b.engineBeat) this.beats.push({ ...pending, heard: sync.heardAt(pending.frame) ?? pending.arrived, link: b });
    });
    // LinkSync's listener runs first (it was added first): the beat's 'link' event comes right after this one
    this.connection.prependListener('beat', (e: Extract<HostEvent, { type: 'beat' }>) => {
      this.pendingBeat = { beat: e.beat, beatInBar: e.beatInBar, frame: e.frame, arrived: hostMicros() };
    });
    this.connection.on('state', (e: Extract<HostEvent, { type: 'state' }>) => this.states.push({ track: e.track, state: e.state, frame: e.frame, frames: e.frames }));
    this.connection.on('xrun', () => this.xruns++);
    this.connection.on('tempo', (e: Extract<HostEvent, { type: 'tempo' }>) => this.tempos.push({ bpm: e.bpm, arrived: hostMicros(), frame: e.frame }));
  }

  private pendingBeat: Omit<HeardBeat, 'heard' | 'link'> | undefined;

  async start(): Promise<void> {
    await this.sync?.start();
    this.connection.register(this.user);
  }

  async stop(): Promise<void> {
    await this.sync?.close();
    await this.connection.deregister(this.user, true);
    await this.connection.close();
  }
}
