import { isIP } from 'net';
import type { HostStatus } from '../io/client';
import type { HostEvent } from '../io/protocol';
import { NodeType } from '../control/constants';
import { ConfigError } from '../control/errors';
import { requiredNumber } from '../control/settings';
import { EngineStatus, StatusColor, StatusShape } from '../control/status';
import { Controller, ControllerContext } from '../control/wiring';
import { DEFAULT_OSC_HOST, DEFAULT_OSC_PORT, OscServer } from './server';

// The loopstation-osc node: a SooperLooper-compatible OSC server on the node's engine, for as long as
// the node is deployed. It takes no msgs; its status says where it listens.

export interface OscSettings {
  port: number;
  host: string;
}

/** The host events the server mirrors. */
const CHANNELS = ['state', 'pending', 'beat', 'tempo', 'layers', 'levels', 'loop'] as const;
/** A redeploy closes the old socket as the new node binds: the port may need a moment to come free. */
const BIND_ATTEMPTS = 10;
const BIND_RETRY_MS = 100;
const KEYS = NodeType.Osc;

export function oscSettings(def: Record<string, unknown>): OscSettings {
  const host = def.host === undefined || def.host === '' ? DEFAULT_OSC_HOST : String(def.host).trim();
  if (!isIP(host)) throw new ConfigError('host', `${JSON.stringify(host.slice(0, 40))} is not an IP address; accepted: 127.0.0.1 (this machine only), 0.0.0.0 or :: (every network), or one interface's address`);
  // 0 = any free port (tests; the status shows which)
  return { port: requiredNumber(def, 'port', [0, 65535], DEFAULT_OSC_PORT, true), host };
}

export class OscController implements Controller {
  readonly settings: OscSettings;
  readonly server: OscServer;
  private closed = false;

  constructor(private readonly ctx: ControllerContext, def: Record<string, unknown>) {
    this.settings = oscSettings(def);
    const { config } = ctx;
    this.server = new OscServer({
      link: {
        send: (req) => ctx.send(req),
        status: () => ctx.request({ type: 'status' }) as Promise<HostStatus>,
        session: (command, name) => ctx.request({ type: 'session', command, name }),
      },
      tracks: config.tracks,
      sampleRate: config.sampleRate,
      bpm: config.bpm,
      beatsPerBar: config.beatsPerBar,
      port: this.settings.port,
      host: this.settings.host,
      now: ctx.now,
      warn: (text) => ctx.warn(text),
    });
    for (const channel of CHANNELS) ctx.listen<HostEvent>(channel, (e) => this.server.hostEvent(e));
    void this.listen(BIND_ATTEMPTS);
  }

  input(): void {
    // the node has no input: OSC arrives on its socket
  }

  engineStatus(status: EngineStatus): void {
    if (status === 'running' || status === 'no-device') this.server.hostRestarted();
  }

  close(): void {
    this.closed = true;
    void this.server.stop();
  }

  private async listen(attempts: number): Promise<void> {
    try {
      const { address, port } = await this.server.start();
      if (this.closed) return void this.server.stop();
      this.ctx.status.setOwn({
        fill: StatusColor.Green,
        shape: StatusShape.Dot,
        text: this.ctx.text(`${KEYS}.status.listening`, { address, port }, `OSC ${address}:${port}`),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (this.closed) return;
      if (code === 'EADDRINUSE' && attempts > 1) {
        this.ctx.timeout(() => void this.listen(attempts - 1), BIND_RETRY_MS);
        return;
      }
      const { host, port } = this.settings;
      const message = (err as Error).message;
      this.ctx.status.fail(this.ctx.text(`${KEYS}.status.failed`, { port }, `OSC port ${port} not open`));
      this.ctx.warn(this.ctx.text(`${KEYS}.errors.bind`, { host, port, message }, `cannot listen for OSC on ${host}:${port}: ${message}`));
    }
  }
}
