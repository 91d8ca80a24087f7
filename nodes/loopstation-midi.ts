import { NodeType } from '../lib/control/constants';
import { Node, NodeAPI, NodeDef } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';
import { MidiController } from '../lib/midi/midi-controller';

// midi: MIDI notes/CCs to commands, learn mode, clock out and clock follow (behaviour: lib/midi/midi-controller.ts).
export = function (RED: NodeAPI): void {
  RED.nodes.registerType(NodeType.Midi, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: false, create: (ctx) => new MidiController(ctx, def) });
  });
};
