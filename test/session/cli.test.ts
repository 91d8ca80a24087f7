import { strict as assert } from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Autosave } from '../../lib/session/autosave';
import { mixSourceFromSession, renderMixdown } from '../../lib/session/export';
import { readWav, writeWavAtomicSync } from '../../lib/session/wav';
import { noise, plain } from '../engine/harness';
import { tempDir } from '../fixtures/wav';
import { Driver, firstDifference } from './driver';

// `loopstation session ...` through the real bin in a child process, offline on a session folder.

const BIN = path.join(__dirname, '../../../bin/loopstation.js');
const RATE = 48000;

function loopstation(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'session', ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('loopstation session', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  before(async () => {
    tmp = tempDir();
    root = tmp.file('root');
    const d = new Driver(plain({ sampleRate: RATE, tracks: 2, memoryMiB: 16 }), noise(RATE * 3, 4), [
      { frame: 1000, track: 1, command: 'record' },
      { frame: 49000, track: 1, command: 'play' },
      { frame: 50000, track: 2, command: 'record' },
      { frame: 74000, track: 2, command: 'play' },
    ], 256);
    const autosave = new Autosave(d.engine, path.join(root, 'autosave'));
    d.runTo(RATE * 3, () => autosave.afterBlock());
    await autosave.close();
    writeWavAtomicSync(tmp.file('in.wav'), noise(22050, 8), 2, 44100, 'float32');
  });
  after(() => tmp.remove());

  const ok = (args: string[]): string => {
    const r = loopstation(args, tmp.dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout;
  };

  it('save, list, export, import, load and delete', () => {
    assert.match(ok(['save', 'jam', '--dir', root]), /^saved jam: 2 track\(s\), 2 layer\(s\), 1\.00 s, 120 bpm, 48000 Hz/);
    const list = JSON.parse(ok(['list', '--dir', root, '--json']));
    assert.deepEqual(list.map((s: { name: string; tracks: number }) => [s.name, s.tracks]), [['autosave', 2], ['jam', 2]]);
    assert.match(ok(['list', '--dir', root]), /^autosave: 2 track\(s\).*\njam: 2 track\(s\)/);

    assert.match(ok(['export', 'jam', '--dir', root, '--out', 'exp', '--loops', '3', '--format', 'int16']), /wrote 3 file\(s\) in .*exp \(3\.00 s, 48000 Hz, int16\)/);
    const mix = readWav(tmp.file('exp/mix.wav'), { sampleRate: RATE });
    assert.deepEqual([mix.frames, mix.sourceFormat], [3 * RATE, 'pcm16']);
    assert.deepEqual(fs.readdirSync(tmp.file('exp/stems')), ['track1.wav', 'track2.wav']);
    ok(['export', 'autosave', '--dir', root, '--out', 'auto']);

    assert.match(ok(['import', 'jam', 'in.wav', '--track', '2', '--dir', root]), /imported in\.wav into jam, track 2: 0\.50 s at 48000 Hz \(from 44100 Hz\)/);
    assert.match(ok(['list', '--dir', root]), /jam: 2 track\(s\), 3 layer\(s\)/);
    assert.match(ok(['load', 'jam', '--dir', root]), /jam is now the autosave/);
    assert.match(ok(['list', '--dir', root]), /^autosave: 2 track\(s\), 3 layer\(s\)/);
    assert.equal(ok(['delete', 'jam', '--dir', root]), 'deleted jam\n');
    assert.deepEqual(JSON.parse(ok(['list', '--dir', root, '--json'])).map((s: { name: string }) => s.name), ['autosave']);
  });

  it('the exported mixdown is the session\'s mixdown, bit for bit', async () => {
    ok(['export', 'autosave', '--dir', root, '--out', 'bits', '--loops', '2']);
    const want = renderMixdown((await mixSourceFromSession(path.join(root, 'autosave'))).source, 2);
    assert.equal(firstDifference(readWav(tmp.file('bits/mix.wav'), { sampleRate: RATE }).data, want.mix), -1);
  });

  const errors: [string[], RegExp][] = [
    [['save', '../evil', '--dir', 'r'], /^loopstation session: name: "..\/evil" is a path; accepted: /],
    [['save', '/etc/x', '--dir', 'r'], /is a path/],
    [['delete', 'nope', '--dir', 'r'], /name: no session named "nope"; saved sessions: \(none\)/],
    [['save', 'x', '--dir', 'r'], /session: nothing to save: .*autosave holds no readable session/],
    [['export', 'nope', '--dir', 'r'], /name: no session named "nope"; saved sessions: \(none\)/],
    [['list'], /--dir: missing/],
    [['frob', '--dir', 'r'], /session: unknown subcommand "frob"; accepted: list, save, load, delete, export, import/],
    [['save', '--dir', 'r'], /session save: expects 1 argument\(s\), got 0/],
    [['list', '--dir', 'r', '--verbose'], /--verbose: unknown option; accepted: --dir, --json/],
    [['export', 'autosave', '--dir', 'ROOT', '--loops', '0'], /--loops: 0 is out of range; accepted: an integer from 1 to 64/],
    [['export', 'autosave', '--dir', 'ROOT', '--format', 'mp3'], /--format: "mp3"; accepted: float32, int16/],
    [['import', 'jam', 'missing.wav', '--track', '1', '--dir', 'r'], /file: .*missing\.wav: file not found/],
    [['import', 'jam', 'in.wav', '--dir', 'r'], /--track: missing/],
    [['import', 'jam', 'in.wav', '--track', '99', '--dir', 'r'], /track: 99 is out of range/],
    // read before anything is written, and never waited on: a device or a pipe is refused by its kind
    [['export', 'autosave', '--dir', 'ROOT', '--out', 'devout'], /^loopstation session: --out: .*devout\/mix\.wav: is a symbolic link; accepted: a new file or a regular file to replace\n$/],
    [['import', 'ok', '/dev/zero', '--track', '1', '--dir', 'r'], /^loopstation session: file: \/dev\/zero: is a character device, not a regular file\n$/],
    [['import', 'ok', 'pipe.wav', '--track', '1', '--dir', 'r'], /file: .*pipe\.wav: is a named pipe, not a regular file\n$/],
  ];
  before(() => {
    execFileSync('mkfifo', [tmp.file('pipe.wav')]);
    // an export folder whose mix.wav is a device node: never replaced
    fs.mkdirSync(tmp.file('devout'));
    fs.symlinkSync('/dev/null', tmp.file('devout/mix.wav'));
  });
  for (const [args, message] of errors) {
    it(`${args.join(' ')}: exit 2, one line naming what is wrong, nothing written`, () => {
      const r = loopstation(args.map((a) => (a === 'ROOT' ? root : a)), tmp.dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(fs.existsSync(tmp.file('r')), false);
    });
  }
});
