// Names shared by the nodes, their editor files and their tests: type strings, catalog namespaces,
// admin routes and permissions.

export const PACKAGE_NAME = 'node-red-contrib-loopstation';

export const NodeType = {
  Engine: 'loopstation-engine',
  AudioIn: 'loopstation-audio-in',
  Metronome: 'loopstation-metronome',
  LoopRecorder: 'loopstation-loop-recorder',
  Mixer: 'loopstation-mixer',
  AudioOut: 'loopstation-audio-out',
  Osc: 'loopstation-osc',
  Midi: 'loopstation-midi',
  Panel: 'loopstation-panel',
} as const;
export type NodeTypeName = (typeof NodeType)[keyof typeof NodeType];

/**
 * Catalog prefix of the strings every node shares (engine statuses, common errors). They live in the
 * engine's catalog; the namespace Node-RED gives a node set is "<package>/<set name>".
 */
export const SHARED_KEYS = `${PACKAGE_NAME}/${NodeType.Engine}:${NodeType.Engine}`;

export const Permission = { Read: 'loopstation.read', Write: 'loopstation.write' } as const;

export const AdminRoute = {
  Devices: '/loopstation/devices',
  Calibrate: '/loopstation/:id/calibrate',
  MidiPorts: '/loopstation/midi-ports',
} as const;
