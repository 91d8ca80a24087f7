import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../../lib/engine/engine';
import { Autosave } from '../../lib/session/autosave';
import { writeError } from '../../lib/session/wav';
import { plain } from '../engine/harness';
import { tempDir } from '../fixtures/wav';

// The words a session folder's failures are reported in: what is in the way, not the errno of the
// last system call (a recursive mkdir under a read-only folder reports ENOENT).

const errno = (code: string, syscall = 'mkdir') => Object.assign(new Error(`${code}: ${syscall}`), { code, syscall });

describe('session: folder problems in plain words', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('a read-only folder: names the folder that refuses, whatever errno the mkdir gave', () => {
    const root = tmp.file('root');
    fs.mkdirSync(root);
    const readOnly = (dir: string) => dir !== root;
    const target = path.join(root, 'autosave', 'layers');
    for (const code of ['ENOENT', 'EACCES', 'EPERM']) {
      assert.equal(writeError(target, errno(code), readOnly).message, `${target}: cannot write: ${root} is read-only for this user (permission denied)`, code);
    }
  });

  it('a missing folder, a full disk and a read-only file system each say so', () => {
    const writable = () => true;
    const missing = tmp.file('gone/deeper/session.json');
    assert.equal(writeError(missing, errno('ENOENT', 'open'), writable).message, `${missing}: cannot write: the folder does not exist`);
    assert.equal(writeError(tmp.file('x'), errno('ENOSPC', 'write'), writable).message, `${tmp.file('x')}: cannot write: disk full`);
    assert.equal(writeError(tmp.file('x'), errno('EROFS'), writable).message, `${tmp.file('x')}: cannot write: read-only file system`);
  });

  it('an autosave whose folder cannot be made says why once, through `started` and onError, and stands aside', async () => {
    fs.writeFileSync(tmp.file('file'), 'not a folder');
    const dir = tmp.file('file/autosave');
    const errors: string[] = [];
    const engine = new Engine(plain({ sampleRate: 48000 }));
    const autosave = new Autosave(engine, dir, { onError: (e) => errors.push(e.message) });
    const problem = await autosave.started;
    assert.equal(problem?.message, `${dir}: cannot write: part of the path is not a folder`);
    assert.deepEqual(errors, [problem?.message]);
    engine.process(256);
    autosave.afterBlock();
    await autosave.flush(); // nothing to wait for: it stood aside
  });
});
