import fs from 'fs';
import path from 'path';
import vm from 'vm';
import { assert } from './harness';

// The editor side of each node (its .html), run against a stand-in RED: every default has a validate
// that accepts the default and refuses a bad value, labels come from the catalog, and the catalog has
// every key the .html and its help use.

const NODES = path.join(__dirname, '..', '..', '..', 'nodes');
const TYPES = [
  'loopstation-engine', 'loopstation-audio-in', 'loopstation-metronome', 'loopstation-loop-recorder', 'loopstation-mixer', 'loopstation-audio-out',
  'loopstation-osc', 'loopstation-midi',
];

type Default = { value: unknown; required?: boolean; type?: string; validate?: (this: object, v: unknown) => true | string | boolean };
type Definition = { category: string; defaults: Record<string, Default>; inputs?: number; label(this: object): string; paletteLabel?: (this: object) => string };

function catalog(type: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(NODES, 'locales', 'en-US', `${type}.json`), 'utf8'));
}

/** Looks a key up like the editor: "<namespace>:<key>" or a key in `ownType`'s catalog. */
function lookUp(key: string, ownType: string): string | undefined {
  const [ns, bare] = key.includes(':') ? [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] : [`node-red-contrib-loopstation/${ownType}`, key];
  const cat = catalog(ns.slice(ns.indexOf('/') + 1));
  const found = bare.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), cat);
  return typeof found === 'string' ? found : undefined;
}

function load(type: string): { def: Definition; missing: string[] } {
  const html = fs.readFileSync(path.join(NODES, `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
  const registered: Record<string, Definition> = {};
  const missing: string[] = [];
  const translate = (key: string, params: Record<string, unknown> = {}) => {
    const text = lookUp(key, type);
    if (text === undefined) missing.push(key);
    return (text ?? key).replace(/__(\w+)__/g, (_, p) => String(params[p]));
  };
  const RED = { nodes: { registerType: (t: string, d: Definition) => (registered[t] = d), node: () => null }, _: translate };
  vm.runInNewContext(script, { RED, $: () => ({}) });
  const def = registered[type];
  assert.ok(def, `${type}.html registers ${type}`);
  // the node's own "this._" in labels
  const self = { _: translate };
  for (const [k, d] of Object.entries(def.defaults)) (self as Record<string, unknown>)[k] = d.value;
  def.label.call(self);
  def.paletteLabel?.call(self);
  const templateKeys = [...html.matchAll(/data-i18n="(?:\[\w+\])?([^"]+)"/g)].map((m) => m[1]);
  for (const key of templateKeys) if (lookUp(key, type) === undefined) missing.push(key);
  return { def, missing };
}

const BAD: Record<string, unknown> = {
  sampleRate: 1000, blockSize: 8, inputLatencyFrames: -1, tracks: 65, bpm: 'fast', beatsPerBar: 0, quantize: 'sometimes',
  crossfadeFrames: 5000, countInBars: 9, memoryMiB: 0, slackPeriods: 17, backend: 'jack', track: 0, doubleTapMs: 10, holdMs: 50, pressedLevel: '2',
  volume: 3, enabled: 'maybe', monitor: 'maybe', monitorVolume: -1, masterVolume: 2.5, levelRate: 21, inputDevice: 42,
  outputDevice: 'x'.repeat(300), clickSound: 7, sessionDir: null,
  port: 70000, host: 'example.com', input: 42, output: 'x'.repeat(300), clockOut: 'maybe', follow: 'maybe', bindings: '{}',
  sync: 'wifi', linkStartStop: 'maybe', inputChannels: 0, outputChannels: 3, source: '2-4', bus: 17,
};

describe('nodes: editor files', () => {
  for (const type of TYPES) {
    it(`${type}: defaults validated, labels and template strings in the catalog`, () => {
      const { def, missing } = load(type);
      assert.deepEqual(missing, []);
      for (const [field, d] of Object.entries(def.defaults)) {
        if (field === 'name' || d.type === 'loopstation-engine') continue;
        assert.equal(typeof d.validate, 'function', `${type}.${field} has no validate`);
        assert.equal(d.validate!.call({}, d.value), true, `${type}.${field}: the default ${JSON.stringify(d.value)} is refused`);
        assert.ok(field in BAD, `no bad value for ${field} in this test`);
        assert.notEqual(d.validate!.call({}, BAD[field]), true, `${type}.${field} accepts ${JSON.stringify(BAD[field])}`);
      }
    });

    it(`${type}: help in core style (tooltip paragraph first, message-properties where it takes msgs)`, () => {
      const help = fs.readFileSync(path.join(NODES, 'locales', 'en-US', `${type}.html`), 'utf8');
      assert.match(help, new RegExp(`^<script type="text/html" data-help-name="${type}">\\s*<p>[^<]+</p>`));
      if (type !== 'loopstation-engine') {
        // a node without an input (osc) says so in a paragraph instead
        if ((load(type).def.inputs ?? 1) > 0) assert.match(help, /<h3>Inputs<\/h3>\s*<dl class="message-properties">/);
        else assert.match(help, /<h3>Inputs<\/h3>\s*<p>/);
        assert.match(help, /<h3>Outputs<\/h3>/);
        assert.match(help, /<h3>Details<\/h3>/);
      }
    });
  }

  it('the shared statuses and errors the runtime uses are in the engine catalog', () => {
    const keys = ['starting', 'running', 'not-available', 'crashed', 'stopped', 'misconfigured', 'bad-field', 'error'].map((k) => `status.${k}`);
    keys.push(...['bad-msg', 'not-running', 'misconfigured', 'bad-setting', 'no-engine', 'failed', 'calibrate-undeployed'].map((k) => `errors.${k}`));
    for (const key of keys) assert.ok(lookUp(`node-red-contrib-loopstation/loopstation-engine:loopstation-engine.${key}`, 'loopstation-engine'), key);
  });

  it('each node\'s runtime strings are in its catalog', () => {
    const used: Record<string, string[]> = {
      'loopstation-loop-recorder': ['empty', 'recording', 'playing', 'overdubbing', 'stopped'].map((s) => `state.${s}`).concat(['status.pending', 'status.bar', 'status.bars', 'status.muted', 'errors.refused']),
      'loopstation-metronome': ['status.on', 'status.off'],
      'loopstation-mixer': ['status.set'],
      'loopstation-audio-in': ['status.default-device'],
      'loopstation-audio-out': ['status.default-device', 'status.xruns'],
      'loopstation-osc': ['status.listening', 'status.failed', 'errors.bind'],
      'loopstation-midi': ['status.learning', 'status.ports', 'status.msgs', 'errors.port'],
    };
    for (const [type, keys] of Object.entries(used)) for (const key of keys) assert.ok(lookUp(`${type}.${key}`, type), `${type}.${key}`);
  });
});
