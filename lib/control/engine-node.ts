import { listDevicesInChild } from '../io/device-listing';
import { DeviceList, EngineClientFactory } from '../io/client';
import { Clock } from '../io/clock';
import { ForkedClient } from '../io/forked-client';
import { LinkSync, LinkTransport } from '../sync/link-sync';
import { AdminRoute, NodeType, Permission } from './constants';
import { EngineConnection } from './engine-connection';
import { ConfigError, NodeError } from './errors';
import { DEFAULT_HOST_CONFIG, hostConfigOf, withSessionDir } from './host-config';
import { DoneFn, NodeAPI, NodeDef, Request, Response } from './red';
import { announceRestores } from './restore-notice';
import { EngineConfigNode, translator } from './wiring';

// The loopstation-engine config node: its settings become a HostConfig and an EngineConnection that
// the user nodes share; and the admin routes the editor uses (device list, calibration).

/**
 * How hosts are made: RED.settings.loopstationClientFactory if set (tests, embedders), else the forked
 * engine host, whose output (naudiodon's prints, ALSA's probe noise) is logged only under verbose.
 */
export function clientFactoryOf(RED: Pick<NodeAPI, 'settings'>, log?: (line: string) => void): EngineClientFactory {
  const custom = RED.settings.loopstationClientFactory;
  if (typeof custom === 'function') return custom as EngineClientFactory;
  const onOutput = RED.settings.verbose && log ? (stream: string, line: string) => log(`host ${stream}: ${line}`) : undefined;
  return (config) => new ForkedClient(config, { onOutput });
}

/** What times the hosts' restarts and stop deadline: RED.settings.loopstationClock if set (tests), else the system's. */
function clockOf(RED: Pick<NodeAPI, 'settings'>): { clock?: Clock } {
  const custom = RED.settings.loopstationClock as Partial<Clock> | undefined;
  return custom && typeof custom.now === 'function' && typeof custom.setTimeout === 'function' && typeof custom.clearTimeout === 'function' ? { clock: custom as Clock } : {};
}

/** Lists devices when no host runs: in a short-lived child, or through a custom factory's client. */
function devicesProbe(RED: Pick<NodeAPI, 'settings'>): () => Promise<DeviceList> {
  const custom = RED.settings.loopstationClientFactory;
  if (typeof custom !== 'function') return () => listDevicesInChild();
  return async () => {
    const probe = (custom as EngineClientFactory)({ ...DEFAULT_HOST_CONFIG, memoryMiB: 1 });
    try {
      await probe.start();
      return (await probe.request({ type: 'devices' })) as DeviceList;
    } finally {
      await probe.stop();
    }
  };
}

export function setUpEngineNode(RED: NodeAPI, node: EngineConfigNode, def: NodeDef, live: Set<EngineConfigNode>): void {
  const text = translator(RED);
  node.connection = undefined;
  node.hostConfig = undefined;
  node.settingsError = undefined;
  try {
    node.hostConfig = withSessionDir(hostConfigOf(def), RED.settings.userDir);
    node.connection = new EngineConnection(node.hostConfig, clientFactoryOf(RED, (line) => node.log(line)), {
      log: (level, message) => (level === 'error' ? node.error(message) : node.warn(message)),
      ...clockOf(RED),
    });
    if (node.hostConfig.sessionDir) announceRestores(node.connection, node.hostConfig.sessionDir, text, (line) => node.log(line));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    node.settingsError = err.message;
    node.error(text(err.key, err.params, err.message));
  }
  const link = node.connection && node.hostConfig?.sync === 'link' ? startLink(RED, node, node.connection) : undefined;
  live.add(node);
  node.on('close', (_removed: boolean, done: DoneFn) => {
    live.delete(node);
    // a config node closes on a full deploy or when its settings change: its host goes with it
    const leaving = link?.close().catch(() => undefined) ?? Promise.resolve();
    const closing = leaving.then(() => node.connection?.close());
    closing.then(() => done(), () => done());
  });
}

/**
 * Link is opt-in: only an engine whose sync source is Link opens sockets and joins a session. The
 * network is RED.settings.loopstationLinkNetwork() if set (tests, embedders), else UDP on every interface.
 */
function startLink(RED: Pick<NodeAPI, 'settings'>, node: EngineConfigNode, connection: EngineConnection): LinkSync {
  const custom = RED.settings.loopstationLinkNetwork;
  const network = typeof custom === 'function' ? (custom as () => LinkTransport)() : undefined;
  const link = new LinkSync(connection, { startStopSync: node.hostConfig?.linkStartStop ?? false, network, log: (text) => node.log(text) });
  link.start().catch((err: Error) => node.error(`Link: ${err.message}`));
  return link;
}

const LIST_TIMEOUT_MS = 10000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Lists devices through a running host, or the probe when none runs. */
export async function listDevices(live: Iterable<EngineConfigNode>, probe: () => Promise<DeviceList>): Promise<DeviceList> {
  for (const node of live) {
    if (node.connection?.ready) return (await node.connection.request({ type: 'devices' })) as DeviceList;
  }
  const { devices } = await probe();
  return { devices };
}

export function registerAdminRoutes(RED: NodeAPI, live: Set<EngineConfigNode>): void {
  RED.httpAdmin.get(AdminRoute.Devices, RED.auth.needsPermission(Permission.Read), (_req: Request, res: Response) => {
    // the editor's dropdown falls back to free text, so this always answers 200 with what it has
    withTimeout(listDevices(live, devicesProbe(RED)), LIST_TIMEOUT_MS, 'listing the audio devices').then(
      (list) => res.json({ devices: list.devices }),
      (err: Error) => res.json({ devices: [], error: err.message }),
    );
  });

  RED.httpAdmin.post(AdminRoute.Calibrate, RED.auth.needsPermission(Permission.Write), (req: Request, res: Response) => {
    const text = translator(RED);
    const node = RED.nodes.getNode(req.params.id) as EngineConfigNode | null;
    if (!node || node.type !== NodeType.Engine || !node.connection) {
      const e = new NodeError(`${NodeType.Engine}.errors.calibrate-undeployed`, {}, 'deploy the engine (and a node that uses it) first: calibration runs in the deployed engine');
      res.status(404).json({ error: text(e.key, e.params, e.message) });
      return;
    }
    node.connection.request({ type: 'calibrate' }).then(
      (result) => res.json(result),
      (err: Error) => res.status(409).json({ error: err.message }),
    );
  });
}
