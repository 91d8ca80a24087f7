import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../lib/engine/commands';
import { SessionLibrary } from '../../lib/session/library';
import { sessionName } from '../../lib/session/names';
import { tempDir } from '../fixtures/wav';

const ATTEMPTS: [unknown, RegExp][] = [
  ['../x', /is a path/],
  ['..', /is a path/],
  ['../../etc/passwd', /is a path/],
  ['a/b', /is a path/],
  ['a\\b', /is a path/],
  ['/etc/passwd', /is a path/],
  ['C:evil', /is a path/],
  ['C:\\Windows', /is a path/],
  ['a..b', /is a path/],
  ['.hidden', /characters that are not accepted/],
  ['name.', /characters that are not accepted/],
  [' name', /characters that are not accepted/],
  ['name ', /characters that are not accepted/],
  ['a\u0000b', /characters that are not accepted/],
  ['a\nb', /characters that are not accepted/],
  ['café', /characters that are not accepted/],
  ['~', /characters that are not accepted/],
  ['$HOME', /characters that are not accepted/],
  ['a*', /characters that are not accepted/],
  ['x'.repeat(65), /too long \(65 characters\)/],
  ['con', /reserved device name/],
  ['NUL.txt', /reserved device name/],
  ['autosave', /live session's own name/],
  ['', /missing/],
  [42, /missing/],
  [null, /missing/],
  [['a'], /missing/],
];

describe('session names', () => {
  it('accepts plain names', () => {
    for (const n of ['set1', 'Friday jam', 'take_2-final', 'v1.2', 'A', 'x'.repeat(64)]) assert.equal(sessionName(n), n);
  });

  for (const [name, problem] of ATTEMPTS) {
    it(`refuses ${JSON.stringify(name)} with an InputError that says what is accepted`, () => {
      assert.throws(() => sessionName(name), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.message, /^name: /);
        assert.match(e.message, problem);
        if (name !== 'autosave') assert.match(e.message, /accepted: /);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
    });
  }

  it('a library never touches anything outside its root, whatever the name', async () => {
    const tmp = tempDir();
    try {
      const root = path.join(tmp.dir, 'root');
      fs.mkdirSync(root);
      const sentinel = path.join(tmp.dir, 'x');
      fs.mkdirSync(sentinel);
      fs.writeFileSync(path.join(sentinel, 'session.json'), '{}');
      const lib = new SessionLibrary(root);
      for (const [name] of ATTEMPTS) {
        if (name === 'autosave') continue;
        await assert.rejects(lib.save(name, root), InputError);
        await assert.rejects(lib.delete(name), InputError);
        await assert.rejects(lib.loadIntoAutosave(name), InputError);
        await assert.rejects(lib.importWav(name, '/nonexistent.wav', 1), InputError);
      }
      await assert.rejects(lib.delete('../x'), InputError);
      assert.deepEqual(fs.readdirSync(sentinel), ['session.json']);
      assert.deepEqual(fs.readdirSync(root), []);
    } finally {
      tmp.remove();
    }
  });
});
