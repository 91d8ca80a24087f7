import { NodeType } from '../lib/control/constants';
import { AudioInController } from '../lib/control/audio-in-controller';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';

// audio in: input monitoring in, input levels out (behaviour: lib/control/audio-in-controller.ts).
export = function (RED: NodeAPI): void {
  RED.nodes.registerType(NodeType.AudioIn, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: true, create: (ctx) => new AudioInController(ctx, def) });
  });
};
