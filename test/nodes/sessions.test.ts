import fs from 'fs';
import path from 'path';
import { NodeType } from '../../lib/control/constants';
import { rawWav, sampleBytes, tempDir } from '../fixtures/wav';
import { ALL_NODES, assert, engineDef, engineUp, helper, nextError, nextMsg, nextStatus, userNode } from './harness';

// Sessions from a flow: msgs to the audio out node ({command, name}) become session requests to the
// real engine host (forked, null backend); the answer goes out as msg.payload, a bad name is an error
// with a red ring and reaches nothing.

type Out = { topic?: string; payload: Record<string, unknown>; command?: string };

describe('nodes: sessions through audio out (forked engine host)', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(() => {
    tmp = tempDir('loopstation-node-sessions-');
  });
  afterEach(async () => {
    await helper.unload();
    tmp.remove();
  });

  it('save, list, export, load, delete and import answer as msgs; a bad name is refused', async () => {
    const dir = tmp.file('sessions');
    const wav = tmp.file('take.wav');
    const codes = new Int16Array(9600 * 2).map((_, i) => ((i * 331) % 20001) - 10000);
    fs.writeFileSync(wav, rawWav({ channels: 2, sampleRate: 48000, bitsPerSample: 16, data: sampleBytes(codes, 16) }));
    helper.settings({}); // the default client: ForkedClient
    await helper.load(ALL_NODES, [engineDef({ sessionDir: dir }), ...userNode('out', NodeType.AudioOut)]);
    const out = helper.getNode('out');
    const sink = helper.getNode('out-out');
    const restore = await nextMsg<Out>(sink, (m) => m.topic === 'session', 20000);
    assert.equal(restore.payload.reason, 'start');
    await engineUp();

    const ask = async (msg: Record<string, unknown>, topic: string) => {
      const answer = nextMsg<Out>(sink, (m) => m.topic === topic, 20000);
      out.receive(msg);
      return (await answer).payload;
    };
    const imported = await ask({ command: 'import', track: 1, file: wav }, 'import');
    assert.equal(imported.frames, 9600);
    assert.equal((await ask({ payload: { command: 'save', name: 'gig' } }, 'save')).name, 'gig');
    const list = await ask({ command: 'list' }, 'list');
    assert.deepEqual((list.sessions as { name: string }[]).map((s) => s.name), ['gig']);
    const exported = await ask({ payload: { export: 'gig-mix' } }, 'export');
    assert.equal(exported.dir, path.join(dir, 'exports', 'gig-mix'));
    assert.ok(fs.existsSync(path.join(dir, 'exports', 'gig-mix', 'mix.wav')));
    const loadEvent = nextMsg<Out>(sink, (m) => m.topic === 'session' && m.payload.reason === 'load', 20000);
    const loaded = await ask({ command: 'load', name: 'gig' }, 'load');
    assert.deepEqual((loaded.tracks as { track: number }[]).map((t) => t.track), [1]);
    assert.equal((await loadEvent).payload.name, 'gig');
    assert.deepEqual(await ask({ command: 'delete', name: 'gig' }, 'delete'), { deleted: 'gig' });

    const error = nextError(out);
    const red = nextStatus(out, (s) => s.fill === 'red');
    out.receive({ command: 'save', name: '../../etc' });
    assert.match(await error, /^msg\.name: "\.\.\/\.\.\/etc" is a path; accepted: a plain name/);
    assert.deepEqual(await red, { fill: 'red', shape: 'ring', text: 'bad msg.name' });
    // a refusal from the host (no such session) is an error too
    const missing = nextError(out, 20000);
    out.receive({ command: 'load', name: 'gig' });
    assert.match(await missing, /no session named "gig"/);
    assert.deepEqual(fs.readdirSync(tmp.dir).sort(), ['sessions', 'take.wav']);
  });

  it('a restart that finds loops in the autosave says so in the log, with the folder to delete to start empty', async () => {
    const dir = tmp.file('sessions');
    const wav = tmp.file('take.wav');
    fs.writeFileSync(wav, rawWav({ channels: 2, sampleRate: 48000, bitsPerSample: 16, data: sampleBytes(new Int16Array(24000 * 2).fill(1000), 16) }));
    helper.settings({});
    const flow = [engineDef({ sessionDir: dir }), ...userNode('out', NodeType.AudioOut)];
    await helper.load(ALL_NODES, flow);
    await nextMsg<Out>(helper.getNode('out-out'), (m) => m.topic === 'session', 20000);
    await engineUp();
    const imported = nextMsg<Out>(helper.getNode('out-out'), (m) => m.topic === 'import', 20000);
    helper.getNode('out').receive({ command: 'import', track: 2, file: wav });
    await imported;
    // the import is an autosaved layer once a save of the autosave sees it
    const saved = nextMsg<Out>(helper.getNode('out-out'), (m) => m.topic === 'save', 20000);
    helper.getNode('out').receive({ command: 'save', name: 'flush' });
    await saved;
    await helper.unload();

    await helper.load(ALL_NODES, flow);
    const restore = await nextMsg<Out>(helper.getNode('out-out'), (m) => m.topic === 'session', 20000);
    assert.equal((restore.payload.tracks as { track: number }[]).length, 1);
    const autosave = path.join(dir, 'autosave');
    const expected = `restored 1 loop (0.5 s) from ${autosave}; clear or delete ${autosave} to start empty`;
    for (let i = 0; i < 100 && !infoLines().includes(expected); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(infoLines().filter((l) => l.startsWith('restored')), [expected]);
  });
});

/** Node-RED's log.INFO (the helper's typings list only FATAL, ERROR and WARN) */
const INFO = 40;
function infoLines(): string[] {
  return helper.log().args.filter((a) => a[0].id === 'engine' && a[0].level === INFO).map((a) => String(a[0].msg));
}
