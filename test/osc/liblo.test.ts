import { strict as assert } from 'assert';
import { ChildProcess, execFile, spawn, spawnSync } from 'child_process';
import { createSocket } from 'dgram';
import { readFileSync } from 'fs';
import { HostStatus } from '../../lib/io/client';
import { HostRequest } from '../../lib/io/protocol';
import { OscServer } from '../../lib/osc/server';
import { TestOscClient } from './client';

// Interoperability with liblo, the OSC library SooperLooper and its clients are built on: liblo's own
// oscsend sends to our server and liblo's oscdump decodes our replies. Runs where liblo-tools is
// installed (Debian: apt-get install liblo-tools); LOOPSTATION_REQUIRE_LIBLO=1 makes its absence a failure.

const haveLiblo = spawnSync('oscsend', [], { stdio: 'ignore' }).error === undefined;

function oscsend(port: number, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile('oscsend', ['127.0.0.1', String(port), ...args], (err) => (err ? reject(err) : resolve())));
}

/** A free UDP port on 127.0.0.1 (bound and released). */
function freePort(): Promise<number> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  }));
}

/** Resolves once a UDP socket is bound to port on any IPv4 address (oscdump prints nothing when it starts). */
async function untilBound(port: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (let i = 0; i < 500; i++) {
    if (readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(hex))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`nothing bound udp port ${port} within 5 s`);
}

describe('osc server with liblo (oscsend, oscdump)', function () {
  let server: OscServer;
  let port: number;
  const sent: HostRequest[] = [];
  let dump: ChildProcess | undefined;

  before(function () {
    if (!haveLiblo) {
      if (process.env.LOOPSTATION_REQUIRE_LIBLO === '1') throw new Error('liblo-tools (oscsend, oscdump) are not installed');
      this.skip();
    }
  });
  beforeEach(async () => {
    sent.length = 0;
    const status: HostStatus = { frame: 0, bpm: 133, beatsPerBar: 4, metronome: true, xruns: 0, tracks: [] };
    server = new OscServer({ link: { send: (r) => void sent.push(r), status: () => Promise.resolve(status), session: () => Promise.resolve() }, tracks: 4, sampleRate: 48000, bpm: 133, beatsPerBar: 4, port: 0 });
    port = (await server.start()).port;
  });
  afterEach(async () => {
    dump?.kill();
    dump = undefined;
    await server.stop();
  });

  it('takes commands and sets from oscsend, with liblo type conversion (an int where a float is expected)', async () => {
    await oscsend(port, '/sl/0/hit', 's', 'record');
    await oscsend(port, '/sl/1/set', 'si', 'wet', '0');
    await oscsend(port, '/set', 'sf', 'tempo', '100.5');
    // each oscsend has exited, its datagram queued at the server's socket before this barrier's
    const barrier = await new TestOscClient().open();
    try {
      await barrier.sync(port);
    } finally {
      await barrier.close();
    }
    assert.deepEqual(sent.map((r) => (r.type === 'command' ? [r.command, r.track, r.value] : r.type)), [['record', 1, 0], ['volume', 2, 0], ['bpm', 0, 100.5]]);
  });

  it('its replies decode in oscdump: /ping ,ssi and /get ,isf', async () => {
    const dumpPort = await freePort();
    let out = '';
    dump = spawn('oscdump', ['-L', String(dumpPort)], { stdio: ['ignore', 'pipe', 'ignore'] });
    dump.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await untilBound(dumpPort);
    const url = `osc.udp://127.0.0.1:${dumpPort}/`;
    await oscsend(port, '/ping', 'ss', url, '/pong');
    // the internal tempo is read with the internal clock as the sync source (SooperLooper's default is loop 1)
    await oscsend(port, '/set', 'sf', 'sync_source', '-3');
    await oscsend(port, '/get', 'sss', 'tempo', url, '/tempo');
    await oscsend(port, '/sl/-3/get', 'sss', 'state', url, '/state');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`oscdump printed only: ${out}`)), 10000);
      const check = (): void => {
        if (out.split('\n').length < 4) return;
        clearTimeout(timer);
        dump?.stdout?.off('data', check);
        resolve();
      };
      dump?.stdout?.on('data', check);
      check();
    });
    assert.ok(out.includes(`/pong ssi "osc.udp://127.0.0.1:${port}/" "1.7.8" 4`), out);
    assert.ok(out.includes('/tempo isf -2 "tempo" 133.000000'), out);
    assert.ok(out.includes('/state isf -3 "state" 0.000000'), out);
  });
});
