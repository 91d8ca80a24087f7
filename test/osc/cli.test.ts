import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';
import { TestOscClient } from './client';

// `loopstation osc` end to end: the forked engine host on the null backend, driven over UDP.

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'loopstation.js');

describe('loopstation osc', function () {
  it('prints where it listens, records from /sl/0/hit, answers state codes, and quits on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'osc', '--port', '0', '--backend', 'null', '--bpm', '120', '--quantize', 'off', '--tracks', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port printed: ${out}`)), 15000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /osc\.udp:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const client = await new TestOscClient().open();
    try {
      const pong = await client.ask(port, '/ping', 'ss', [client.url, '/pong']);
      assert.equal(pong.args[2], 2);
      await client.send(port, '/sl/0/hit', 's', ['record']);
      let state = 0;
      for (let i = 0; i < 100 && state !== 2; i++) {
        state = (await client.ask(port, '/sl/0/get', 'sss', ['state', client.url, '/s'])).args[2] as number;
        if (state !== 2) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(state, 2);
    } finally {
      await client.close();
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0);
  });
});
