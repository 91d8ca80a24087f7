import { AdminRoute, NodeType, Permission } from '../lib/control/constants';
import { Node, NodeAPI, NodeDef, Request, Response } from '../lib/control/red';
import { wireUserNode } from '../lib/control/wiring';
import { MidiController } from '../lib/midi/midi-controller';
import { midiPortList } from '../lib/midi/ports';

// midi: MIDI notes/CCs to commands, learn mode, clock out and clock follow (behaviour: lib/midi/midi-controller.ts).
export = function (RED: NodeAPI): void {
  // the editor's port lists; answers 200 with what it has (and why there is nothing) even without MIDI
  RED.httpAdmin.get(AdminRoute.MidiPorts, RED.auth.needsPermission(Permission.Read), (_req: Request, res: Response) => res.json(midiPortList()));
  RED.nodes.registerType(NodeType.Midi, function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    wireUserNode(RED, this, def, { deviceNode: false, create: (ctx) => new MidiController(ctx, def) });
  });
};
