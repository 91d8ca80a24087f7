import { NodeType } from '../lib/control/constants';
import { LoopRecorderController } from '../lib/control/loop-recorder-controller';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';

// loop recorder: one track's commands and button gestures in, its state out (behaviour: lib/control/loop-recorder-controller.ts).
export = function (RED: NodeAPI): void {
  RED.nodes.registerType(NodeType.LoopRecorder, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: false, create: (ctx) => new LoopRecorderController(ctx, def) });
  });
};
