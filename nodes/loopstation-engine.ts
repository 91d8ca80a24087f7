import { NodeType } from '../lib/control/constants';
import { registerAdminRoutes, setUpEngineNode } from '../lib/control/engine-node';
import { NodeAPI, NodeDef } from '../lib/control/red';
import { EngineConfigNode } from '../lib/control/wiring';

// Config node: the engine host's settings; owns the host its user nodes share (lib/control/engine-node.ts).
export = function (RED: NodeAPI): void {
  const live = new Set<EngineConfigNode>();
  registerAdminRoutes(RED, live);
  RED.nodes.registerType(NodeType.Engine, function (this: EngineConfigNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    setUpEngineNode(RED, this, def, live);
  });
};
