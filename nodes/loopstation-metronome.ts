import { NodeType } from '../lib/control/constants';
import { MetronomeController } from '../lib/control/metronome-controller';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';

// metronome: tempo, bar and click in, one msg per beat out (behaviour: lib/control/metronome-controller.ts).
export = function (RED: NodeAPI): void {
  RED.nodes.registerType(NodeType.Metronome, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: false, create: (ctx) => new MetronomeController(ctx, def) });
  });
};
