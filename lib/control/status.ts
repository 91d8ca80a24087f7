import { SHARED_KEYS } from './constants';
import { NodeStatus } from './red';

// Node statuses: colours and shapes as enums, texts as catalog keys, and one rule for what a node
// shows when the engine's state and its own state compete.

export enum StatusColor {
  Red = 'red',
  Green = 'green',
  Yellow = 'yellow',
  Blue = 'blue',
  Grey = 'grey',
}
export enum StatusShape {
  Dot = 'dot',
  Ring = 'ring',
}

/** The engine host as its users see it. */
export type EngineStatus = 'starting' | 'running' | 'no-device' | 'crashed' | 'stopped' | 'misconfigured';

export const ENGINE_STATUS: Record<EngineStatus, NodeStatus> = {
  starting: { fill: StatusColor.Yellow, shape: StatusShape.Ring, text: `${SHARED_KEYS}.status.starting` },
  running: { fill: StatusColor.Green, shape: StatusShape.Dot, text: `${SHARED_KEYS}.status.running` },
  'no-device': { fill: StatusColor.Grey, shape: StatusShape.Ring, text: `${SHARED_KEYS}.status.not-available` },
  crashed: { fill: StatusColor.Red, shape: StatusShape.Ring, text: `${SHARED_KEYS}.status.crashed` },
  stopped: { fill: StatusColor.Grey, shape: StatusShape.Dot, text: `${SHARED_KEYS}.status.stopped` },
  misconfigured: { fill: StatusColor.Red, shape: StatusShape.Ring, text: `${SHARED_KEYS}.status.misconfigured` },
};

export const failedStatus = (text: string): NodeStatus => ({ fill: StatusColor.Red, shape: StatusShape.Ring, text });

/**
 * What one node shows. While the engine starts, crashed or is stopped, that is what matters; while it
 * runs, the node's own state (a track's state, the tempo) if it has one. Device nodes (audio in/out)
 * keep showing "not available" when the engine runs without a device; the others still work then.
 */
export class StatusView {
  private engine: EngineStatus = 'stopped';
  private own: NodeStatus | undefined;
  private failure: NodeStatus | undefined;

  constructor(
    private readonly show: (status: NodeStatus) => void,
    private readonly isDeviceNode = false,
  ) {}

  setEngine(status: EngineStatus): void {
    this.engine = status;
    this.failure = undefined;
    this.render();
  }

  setOwn(status: NodeStatus): void {
    this.own = status;
    this.failure = undefined;
    this.render();
  }

  /** A bad msg or a refused command: a red ring until the next change of state. */
  fail(text: string): void {
    this.failure = failedStatus(text);
    this.render();
  }

  private render(): void {
    if (this.failure) return this.show(this.failure);
    const ownCounts = this.engine === 'running' || (this.engine === 'no-device' && !this.isDeviceNode);
    this.show(ownCounts && this.own ? this.own : ENGINE_STATUS[this.engine]);
  }
}
