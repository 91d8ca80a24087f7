import { NodeType } from '../lib/control/constants';
import { MixerController } from '../lib/control/mixer-controller';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';

// mixer: track, master and monitor levels by msg.topic in, output levels out (behaviour: lib/control/mixer-controller.ts).
export = function (RED: NodeAPI): void {
  RED.nodes.registerType(NodeType.Mixer, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: false, create: (ctx) => new MixerController(ctx, def) });
  });
};
