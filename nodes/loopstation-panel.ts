import { NodeType } from '../lib/control/constants';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';
import { PanelController } from '../lib/panel/panel-controller';
import type { Server } from 'http';
import { ASSETS_DIR, HttpApp, PanelRegistry, interceptCommandBodies, loadAssets, registerPanelRoutes } from '../lib/panel/routes';

// panel: the looper's control surface, a page served at <httpNodeRoot>loopstation/<path>/ with an event
// stream and a command endpoint (routes: lib/panel/routes.ts; behaviour: lib/panel/panel-controller.ts).
export = function (RED: NodeAPI & { httpNode: HttpApp; server?: Server }): void {
  const registry = new PanelRegistry();
  const allowedHosts = RED.settings.loopstationAllowedHosts;
  registerPanelRoutes(RED.httpNode, registry, loadAssets(ASSETS_DIR), {
    allowCrossSite: Boolean(RED.settings.httpNodeCors),
    allowedHosts: Array.isArray(allowedHosts) ? allowedHosts.map(String) : [],
  });
  // command bodies are read before Node-RED's admin body parser can take them (routes.ts)
  if (RED.server) interceptCommandBodies(RED.server, typeof RED.settings.httpNodeRoot === 'string' ? RED.settings.httpNodeRoot : '/');
  RED.nodes.registerType(NodeType.Panel, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: false, create: (ctx) => new PanelController(ctx, def, registry) });
  });
};
