import { NodeType } from '../lib/control/constants';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';
import { OscController } from '../lib/osc/osc-controller';

// osc: a SooperLooper-compatible OSC server on the engine (behaviour: lib/osc/osc-controller.ts).
export = function (RED: NodeAPI): void {
  RED.nodes.registerType(NodeType.Osc, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: false, create: (ctx) => new OscController(ctx, def) });
  });
};
