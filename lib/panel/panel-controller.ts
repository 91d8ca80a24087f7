import type { CommandRequest } from '../control/commands';
import { ConfigError } from '../control/errors';
import { RESTORED_CHANNEL, RestoredEvent } from '../control/restore-notice';
import { EngineStatus, StatusColor, StatusShape } from '../control/status';
import type { Controller, ControllerContext } from '../control/wiring';
import { QUANTIZE_MODES } from '../engine/types';
import type { HostStatus } from '../io/client';
import type { HostEvent } from '../io/protocol';
import { PanelHub } from './panel-hub';
import { PanelEvent, PanelLink, PanelState } from './panel-state';
import { DEFAULT_PANEL_PATH, PANEL_ROUTE, PanelRegistry, panelPathProblem } from './routes';

// The loopstation-panel node's behaviour: claims its path in the registry, folds the engine's events
// into a PanelState and streams them to the open pages through a PanelHub, sends the pages' commands,
// and reports each one from the node's output. Tested without Node-RED.

/** The host channels a page follows (the connection's names: host 'error' events come as 'hostError'). */
export const PANEL_CHANNELS = ['state', 'pending', 'beat', 'tempo', 'layers', 'levels', 'xrun', 'hostError', 'loop'] as const;

/** Mixer values have no events: while pages are open the panel asks the engine this often. */
export const STATUS_POLL_MS = 2000;

export interface PanelDef {
  id: string;
  name?: unknown;
  path?: unknown;
  [key: string]: unknown;
}

const KEYS = 'loopstation-panel';

/**
 * What the node's output says of a command a page sent: {topic: <path>, payload: <command>, track,
 * value}, in the words a loop recorder, metronome or mixer msg would use (quantize by name, on/off as
 * booleans), so a flow can log it, mirror it to MQTT or drive another looper with it.
 */
export function actionMsg(panelPath: string, req: CommandRequest): Record<string, unknown> {
  const msg: Record<string, unknown> = { topic: panelPath, payload: req.command };
  if (req.track > 0) msg.track = req.track;
  const value = req.value as number;
  switch (req.command) {
    case 'quantize':
      msg.value = QUANTIZE_MODES[value];
      break;
    case 'metronome':
    case 'monitor':
      msg.value = value === 1;
      break;
    case 'volume':
    case 'pan':
    case 'bpm':
    case 'beatsPerBar':
    case 'metronomeVolume':
    case 'monitorVolume':
    case 'masterVolume':
    case 'feedback':
      msg.value = value;
      break;
  }
  return msg;
}

export class PanelController implements Controller {
  readonly path: string;
  readonly state: PanelState;
  readonly hub: PanelHub;
  private engine: EngineStatus = 'stopped';
  private cancelPoll: (() => void) | undefined;
  private polling = false;
  private closed = false;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly def: PanelDef,
    private readonly registry: PanelRegistry,
  ) {
    const p = def.path === undefined || def.path === '' ? DEFAULT_PANEL_PATH : def.path;
    const problem = panelPathProblem(p);
    if (problem) throw new ConfigError('path', problem);
    this.path = p as string;
    const c = ctx.config;
    this.state = new PanelState({
      name: typeof def.name === 'string' && def.name.trim() ? def.name.trim() : 'loopstation',
      tracks: c.tracks,
      bpm: c.bpm,
      beatsPerBar: c.beatsPerBar,
      metronome: c.metronome.enabled,
      quantize: c.quantize,
      sampleRate: c.sampleRate,
      blockFrames: c.blockFrames,
      inputChannels: c.inputChannels ?? 2,
      outputBuses: (c.outputChannels ?? 2) / 2,
    });
    this.hub = new PanelHub({
      tracks: c.tracks,
      snapshot: () => this.state.snapshot(),
      send: (req) => {
        try {
          ctx.send(req);
          return true;
        } catch {
          return false;
        }
      },
      sent: (req) => this.sent(req),
      clientsChanged: () => {
        if (this.closed) return;
        this.showStatus();
        this.pollWhileOpen();
      },
    });
    const holder = registry.claim(this.path, def.id, { hub: this.hub, snapshot: () => this.state.snapshot() });
    if (holder !== undefined) {
      this.hub.close();
      throw new ConfigError('path', `${PANEL_ROUTE}/${this.path} is served by another panel (node ${holder}); accepted: a path no other panel uses`);
    }
    for (const channel of PANEL_CHANNELS) ctx.listen<HostEvent>(channel, (e) => this.publish(this.state.apply(e)));
    ctx.listen<RestoredEvent>(RESTORED_CHANNEL, (e) => this.publish(this.state.setRestored(e.text)));
    ctx.listen<PanelLink>('link', (e) => this.publish(this.state.applyLink(e)));
    this.showStatus();
  }

  /** The panel has no input: its page is its input. */
  input(): void {
    throw new ConfigError('input', 'the panel takes no msgs; accepted: none (wire its output instead)');
  }

  engineStatus(status: EngineStatus): void {
    this.engine = status;
    this.publish(this.state.setEngine(status, this.ctx.ready()));
    this.showStatus();
    if (status === 'running' || status === 'no-device') void this.refresh(true);
  }

  close(): void {
    this.closed = true;
    this.cancelPoll?.();
    this.cancelPoll = undefined;
    this.registry.release(this.path, this.def.id);
    this.hub.close();
  }

  /** The URL path under httpNodeRoot. */
  get route(): string {
    return `${PANEL_ROUTE}/${this.path}/`;
  }

  private publish(event: PanelEvent | undefined): void {
    if (event) this.hub.broadcast(event);
  }

  private sent(req: CommandRequest): void {
    switch (req.command) {
      case 'volume':
        this.publish(this.state.applyMixer(req.track, { volume: req.value as number }));
        break;
      case 'mute':
      case 'unmute':
        this.publish(this.state.applyMixer(req.track, { muted: req.command === 'mute' }));
        break;
      case 'solo':
      case 'unsolo':
        this.publish(this.state.applyMixer(req.track, { soloed: req.command === 'solo' }));
        break;
      case 'metronome':
        this.publish(this.state.applyMetronome(req.value === 1));
        break;
    }
    this.ctx.output(actionMsg(this.path, req));
  }

  private async refresh(initial: boolean): Promise<void> {
    try {
      const status = (await this.ctx.request({ type: 'status' })) as HostStatus;
      for (const e of this.state.applyStatus(status, initial)) this.publish(e);
    } catch {
      // the engine went away in between: its status change says so
    }
  }

  private pollWhileOpen(): void {
    if (this.closed || this.polling || this.hub.clientCount === 0) return;
    this.polling = true;
    const tick = () => {
      this.cancelPoll = undefined;
      if (this.closed || this.hub.clientCount === 0) {
        this.polling = false;
        return;
      }
      const next = () => {
        if (!this.closed) this.cancelPoll = this.ctx.timeout(tick, STATUS_POLL_MS);
      };
      if (this.engine === 'running' || this.engine === 'no-device') void this.refresh(false).then(next);
      else next();
    };
    this.cancelPoll = this.ctx.timeout(tick, STATUS_POLL_MS);
  }

  private showStatus(): void {
    const viewers = this.hub.clientCount;
    const params = { path: this.route, count: viewers };
    const english = viewers === 0 ? this.route : `${this.route} · ${viewers} open`;
    const text = this.ctx.text(`${KEYS}.status.${viewers === 0 ? 'serving' : 'open'}`, params, english);
    if (this.engine === 'no-device') {
      this.ctx.status.setOwn({
        fill: StatusColor.Yellow,
        shape: StatusShape.Dot,
        text: this.ctx.text(`${KEYS}.status.no-sound`, { text }, `no sound card (null device) · ${text}`),
      });
    } else {
      this.ctx.status.setOwn({ fill: StatusColor.Green, shape: StatusShape.Dot, text });
    }
  }
}
