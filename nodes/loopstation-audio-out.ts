import { NodeType } from '../lib/control/constants';
import { AudioOutController } from '../lib/control/audio-out-controller';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';

// audio out: master volume and export in, xruns out (behaviour: lib/control/audio-out-controller.ts).
export = function (RED: NodeAPI): void {
  RED.nodes.registerType(NodeType.AudioOut, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: true, create: (ctx) => new AudioOutController(ctx, def) });
  });
};
