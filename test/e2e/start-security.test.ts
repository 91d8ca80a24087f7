import { strict as assert } from 'assert';
import fs from 'fs';
import path from 'path';
import { Looper, starterFlowOnNull, startLooper, tempDir } from './harness';

// `npm start` listens on every interface (the phone on the pedalboard opens the panel over Wi-Fi), so
// the editor, which can deploy code, is locked by a login made on the first start; the panel stays open.

/** The password the banner printed at the first start. */
const passwordIn = (output: string) => /editor login: admin \/ (\S+)/.exec(output)?.[1];

async function tokenFor(base: string, password: string): Promise<Response> {
  return fetch(new URL('auth/token', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username: 'admin', password }).toString(),
  });
}

describe('npm start: the editor is not open to the network', function () {
  this.timeout(120000);
  let userDir = '';
  let looper: Looper | undefined;
  before(() => {
    userDir = tempDir('userdir');
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(starterFlowOnNull()));
  });
  afterEach(async () => {
    await looper?.interrupt();
    looper = undefined;
  });
  after(() => fs.rmSync(userDir, { recursive: true, force: true }));

  let password = '';
  it('the first start makes a login, prints its password once and keeps only a bcrypt hash; deploys need it', async () => {
    looper = await startLooper(userDir);
    password = passwordIn(looper.output()) ?? '';
    assert.match(password, /^[A-Za-z0-9_-]{16}$/, looper.output());
    const kept = path.join(userDir, 'loopstation-login.json');
    assert.equal(fs.statSync(kept).mode & 0o777, 0o600);
    const login = JSON.parse(fs.readFileSync(kept, 'utf8')) as { username: string; hash: string };
    assert.equal(login.username, 'admin');
    assert.match(login.hash, /^\$2[aby]\$10\$/);
    assert.ok(!fs.readFileSync(kept, 'utf8').includes(password), 'the password itself is not kept');

    const base = looper.editorUrl;
    const flows = JSON.stringify(starterFlowOnNull());
    const anonymous = await fetch(new URL('flows', base), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: flows });
    assert.equal(anonymous.status, 401, 'an unauthenticated deploy is refused');
    assert.equal((await fetch(new URL('flows', base))).status, 401);
    assert.equal((await tokenFor(base, 'wrong-password')).status, 403);
    const granted = await tokenFor(base, password);
    assert.equal(granted.status, 200);
    const { access_token: token } = (await granted.json()) as { access_token: string };
    assert.equal((await fetch(new URL('flows', base), { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    // the panel needs no login: the phone on the pedalboard
    assert.equal((await fetch(looper.panelUrl)).status, 200);
  });

  it('a later start keeps the login and does not print the password again', async () => {
    looper = await startLooper(userDir);
    assert.equal(passwordIn(looper.output()), undefined, looper.output());
    assert.match(looper.output(), /editor login: admin \(the password printed at the first start; delete .*loopstation-login\.json for a new one\)/);
    assert.equal((await tokenFor(looper.editorUrl, password)).status, 200);
  });
});
