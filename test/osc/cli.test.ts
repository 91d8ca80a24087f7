import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../fixtures/wav';
import { TestOscClient } from './client';

// `loopstation osc` end to end: the forked engine host on the null backend, driven over UDP.

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'loopstation.js');

/** Starts `loopstation osc` with these options; resolves with the port it printed. */
function start(args: string[]): { child: ChildProcess; exited: Promise<number | null>; port: Promise<number> } {
  const child = spawn(process.execPath, [BIN, 'osc', '--port', '0', '--backend', 'null', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let out = '';
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port printed: ${out}`)), 15000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /osc\.udp:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, exited, port };
}

describe('loopstation osc', function () {
  it('prints where it listens, records from /sl/0/hit, answers state codes, and quits on SIGINT', async () => {
    const { child, exited, port: started } = start(['--bpm', '120', '--quantize', 'off', '--tracks', '2', '--session-dir', 'none']);
    const port = await started;
    const client = await new TestOscClient().open();
    try {
      const pong = await client.ask(port, '/ping', 'ss', [client.url, '/pong']);
      assert.equal(pong.args[2], 2);
      // the state as the server pushes it when it changes: Off (0) now, then Recording (2)
      await client.send(port, '/sl/0/register_auto_update', 'siss', ['state', 10, client.url, '/state']);
      await client.waitFor(2);
      assert.deepEqual(client.received[1].args, [0, 'state', 0]);
      await client.send(port, '/sl/0/hit', 's', ['record']);
      const recording = await client.waitFor(3, 15000);
      assert.deepEqual(recording[2].args, [0, 'state', 2]);
    } finally {
      await client.close();
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0);
  });

  it('--loops and --session-dir: loops come and go, /save_session writes to the folder, /quit ends it', async () => {
    const tmp = tempDir('osc-cli-');
    const dir = tmp.dir;
    try {
      const { exited, port: started } = start(['--bpm', '120', '--tracks', '3', '--loops', '1', '--session-dir', dir]);
      const port = await started;
      const client = await new TestOscClient().open();
      try {
        assert.equal((await client.ask(port, '/ping', 'ss', [client.url, '/pong'])).args[2], 1);
        await client.send(port, '/register', 'ss', [client.url, '/loops']);
        await client.send(port, '/loop_add', 'if', [2, 30]);
        // the engine adds it at its next block: the count goes to registered URLs once its event came
        const [, count] = await client.waitFor(2, 15000);
        assert.equal(count.address, '/loops');
        assert.equal(count.args[2], 2);
        await client.send(port, '/save_session', 'sss', ['/anywhere/Take 1.slsess', client.url, '/err']);
        const saved = path.join(dir, 'sessions', 'Take 1');
        for (let i = 0; i < 100 && !fs.existsSync(saved); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(fs.existsSync(saved), `no ${saved}`);
        await client.send(port, '/quit', '', []);
        assert.equal(await exited, 0);
        assert.equal(client.received.filter((m) => m.address === '/err').length, 0);
      } finally {
        await client.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
