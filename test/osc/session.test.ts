import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_HOST_CONFIG } from '../../lib/control/host-config';
import { HostStatus } from '../../lib/io/client';
import { ForkedClient } from '../../lib/io/forked-client';
import { HostEvent } from '../../lib/io/protocol';
import { OscServer } from '../../lib/osc/server';
import { nextEvent } from '../io/harness';
import { TestOscClient } from './client';

// /save_session and /load_session against the real engine host (forked, null backend) with a session
// folder: a session saved by OSC lands in <folder>/sessions/<name>, and nowhere else.

describe('osc sessions on the engine host', function () {
  this.timeout(60000);
  let dir: string;
  let host: ForkedClient;
  let server: OscServer;
  let client: TestOscClient;
  let port: number;
  /** the session requests the server made, to await their end */
  const sessions: Promise<unknown>[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-osc-'));
    host = new ForkedClient({ ...DEFAULT_HOST_CONFIG, backend: 'null', tracks: 2, quantize: 'off', memoryMiB: 16, sessionDir: dir });
    await host.start();
    server = new OscServer({
      link: {
        send: (r) => host.send(r),
        status: () => host.request({ type: 'status' }) as Promise<HostStatus>,
        session: (command, name) => {
          const done = host.request({ type: 'session', command, name });
          sessions.push(done.catch(() => undefined));
          return done;
        },
      },
      tracks: 2, sampleRate: 48000, bpm: 120, beatsPerBar: 4, port: 0,
    });
    host.on('event', (e: HostEvent) => server.hostEvent(e));
    port = (await server.start()).port;
    client = await new TestOscClient().open();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
    await host?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('saves a recorded loop as a named session in the folder, and loads it back', async () => {
    // a loop of at least one block: recording, then a levels report from a later block, then play
    const recording = nextEvent(host, 'state', (e) => e.track === 1 && e.state === 'recording');
    await client.send(port, '/sl/0/hit', 's', ['record']);
    const started = await recording;
    await nextEvent(host, 'levels', (e) => (e.frame ?? 0) > started.frame);
    const playing = nextEvent(host, 'state', (e) => e.track === 1 && e.state === 'playing');
    await client.send(port, '/sl/0/hit', 's', ['record']);
    await playing;
    await client.send(port, '/save_session', 'sss', ['/somewhere/else/../Gig 1.slsess', client.url, '/err']);
    await client.sync(port);
    assert.equal(sessions.length, 1, 'the server asked the host to save');
    await sessions[0];
    const saved = path.join(dir, 'sessions', 'Gig 1');
    assert.ok(fs.existsSync(saved), `no ${saved}: ${fs.readdirSync(dir).join(', ')}`);
    assert.ok(!fs.existsSync('/somewhere'));
    await client.sync(port);
    assert.equal(client.received.length, 0, JSON.stringify(client.received));
    const frames = async (): Promise<number> => ((await host.request({ type: 'status' })) as HostStatus).tracks[0].frames;
    const recorded = await frames();
    assert.ok(recorded > 0);
    const undone = nextEvent(host, 'state', (e) => e.track === 1 && e.state === 'empty');
    await client.send(port, '/sl/0/hit', 's', ['undo']);
    await undone;
    assert.equal(await frames(), 0, 'undone');
    await client.send(port, '/load_session', 'sss', ['Gig 1', client.url, '/err']);
    await client.sync(port);
    await sessions[1];
    assert.equal(await frames(), recorded, 'the loop came back');
    const missing = await client.ask(port, '/load_session', 'sss', ['No Such', client.url, '/err']);
    assert.equal(missing.address, '/err');
    // SooperLooper's answer: our URL and what failed
    assert.deepEqual(missing.args, [`osc.udp://127.0.0.1:${port}/`, 'Session Load Failed']);
  });
});
