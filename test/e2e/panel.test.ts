import { strict as assert } from 'assert';
import fs from 'fs';
import path from 'path';
import { BrowserContext, Page, launchChromium } from './browser';
import { Looper, ROOT, alive, commandLine, descendants, noSoundCardEnv, requireBrowser, startLooper, tempDir, until } from './harness';

// The panel in a real browser against the looper `npm start` runs: Debian's Chromium, headless, driven
// by playwright-core (no browser download). Record and play track 1 and watch the colours and the beat;
// the screenshots land in test-artifacts/ (LOOPSTATION_UPDATE_DOCS=1 also refreshes docs/*.png).

// these run in the page, not in Node
declare const document: any;
declare function getComputedStyle(el: unknown): any;
declare const Event: any;

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const UPDATE_DOCS = process.env.LOOPSTATION_UPDATE_DOCS === '1';

/** The state colours of panel.css, as the browser computes them. */
const COLOUR = {
  empty: 'rgb(91, 97, 112)',
  recording: 'rgb(229, 57, 53)',
  playing: 'rgb(67, 160, 71)',
  stopped: 'rgb(30, 136, 229)',
};

const trackColour = (page: Page, track: number) =>
  page.$eval<string>(`.track[data-track="${track}"]`, (el) => getComputedStyle(el).borderTopColor);
const trackAttr = (page: Page, track: number, attr: string) =>
  page.$eval<string | null>(`.track[data-track="${track}"]`, (el, a) => el.getAttribute(a), attr);

async function waitForAttr(page: Page, selector: string, attr: string, value: string | null, timeout = 10000): Promise<void> {
  await page.waitForFunction(
    ([s, a, v]) => {
      const el = document.querySelector(s as string);
      return !!el && el.getAttribute(a as string) === v;
    },
    [selector, attr, value],
    { timeout },
  );
}

describe('panel in Chromium (npm start on a machine without a sound card)', function () {
  this.timeout(120000);
  let looper: Looper | undefined;
  let context: BrowserContext | undefined;
  let userDir = '';
  let profile = '';
  let processes: number[] = [];

  before(async function () {
    requireBrowser(this);
    userDir = tempDir('userdir');
    profile = tempDir('chromium');
    // the starter flow as users get it (audio: auto), on the null device it falls back to
    looper = await startLooper(userDir, noSoundCardEnv(userDir));
    context = await launchChromium(profile);
  });

  after(async function () {
    this.timeout(60000);
    await context?.close().catch(() => undefined);
    if (looper) await looper.interrupt().catch(() => undefined);
    for (const dir of [userDir, profile]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the tracks and the engine on the null device (yellow: no sound card), and the beat moves', async () => {
    const page = context!.pages()[0] ?? (await context!.newPage());
    await page.goto(looper!.panelUrl);
    await page.waitForSelector('.track[data-track="4"]');
    assert.equal(await page.locator('.track').count(), 4);
    await waitForAttr(page, '#engine', 'data-status', 'no-device', 20000);
    assert.equal(await page.$eval('#engine', (el) => el.textContent), 'no sound card: null device (silent)');
    assert.equal(await trackAttr(page, 1, 'data-state'), 'empty');
    assert.equal(await trackColour(page, 1), COLOUR.empty);
    const first = await until('a beat', () => page.$eval('#beats', (el) => Number(el.getAttribute('data-beat'))).then((b) => (b >= 0 ? b : 0)));
    const later = await until('the next beat', async () => {
      const b = await page.$eval('#beats', (el) => Number(el.getAttribute('data-beat')));
      return b > first ? b : 0;
    });
    assert.ok(later > first);
    // 4 dots, the downbeat larger, exactly one lit right after a beat
    assert.equal(await page.locator('#beats .beat').count(), 4);
    assert.equal(await page.locator('#beats .beat.down').count(), 1);
    await page.waitForSelector('#beats .beat.on', { timeout: 3000 });
  });

  it('record then play on track 1: waiting (amber), recording (red), playing (green), the ring turns', async () => {
    const page = context!.pages()[0];
    // quantize "bar": the take waits for the next bar line, blinking
    await page.click('.track[data-track="1"] .big');
    await waitForAttr(page, '.track[data-track="1"]', 'data-pending', 'recording', 5000);
    await waitForAttr(page, '.track[data-track="1"]', 'data-state', 'recording', 5000);
    assert.equal(await trackColour(page, 1), COLOUR.recording);
    assert.equal(await page.$eval('.track[data-track="1"] .big-label', (el) => el.textContent), 'PLAY');
    await page.click('.track[data-track="1"] [data-command="play"]');
    await waitForAttr(page, '.track[data-track="1"]', 'data-state', 'playing', 6000);
    assert.equal(await trackAttr(page, 1, 'data-pending'), null);
    assert.equal(await trackColour(page, 1), COLOUR.playing);
    assert.match(await page.$eval('.track[data-track="1"] .length', (el) => el.textContent ?? ''), /bars? · \d+\.\d s/);
    const offset = () => page.$eval('.track[data-track="1"] .ring-fg', (el) => Number(el.style.strokeDashoffset));
    const a = await offset();
    await page.waitForTimeout(400);
    const b = await offset();
    assert.notEqual(a, b, 'the loop ring moves while the loop plays');

    // the other tracks did not move, and the engine agrees with the page
    assert.equal(await trackAttr(page, 2, 'data-state'), 'empty');
    const state = (await (await fetch(new URL('state', looper!.panelUrl))).json()) as { tracks: { state: string; frames: number }[] };
    assert.equal(state.tracks[0].state, 'playing');
    assert.ok(state.tracks[0].frames > 0);

    // a few more bars for the picture: track 2 recording, track 1 at 70%
    await page.click('.track[data-track="2"] .big');
    await page.$eval('.track[data-track="1"] input[type=range]', (el) => {
      el.value = '0.7';
      el.dispatchEvent(new Event('input'));
      el.dispatchEvent(new Event('change'));
    });
    await waitForAttr(page, '.track[data-track="2"]', 'data-state', 'recording', 5000);
    await page.waitForTimeout(700);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel.png') });
    if (UPDATE_DOCS) fs.copyFileSync(path.join(ARTIFACTS, 'panel.png'), path.join(ROOT, 'docs', 'panel.png'));
  });

  it('stop turns the track blue; a bad command shows the refusal', async () => {
    const page = context!.pages()[0];
    await page.click('.track[data-track="1"] [data-command="stop"]');
    await waitForAttr(page, '.track[data-track="1"]', 'data-state', 'stopped', 6000);
    assert.equal(await trackColour(page, 1), COLOUR.stopped);
    const refusal = await page.evaluate(async () => {
      // with the token the page carries, as the page's own commands do
      const token = document.querySelector('meta[name="loopstation-token"]').getAttribute('content');
      const res = await fetch('command', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Loopstation-Token': token }, body: JSON.stringify({ command: 'volume', track: 1, value: 7 }) });
      return { status: res.status, body: (await res.json()) as { error: string } };
    });
    assert.equal(refusal.status, 400);
    assert.equal(refusal.body.error, 'value: 7 is out of range; accepted: a number from 0 to 2');
  });

  it('delete a loop and add one: an empty loop goes at once, a recorded one asks a second tap; "+ loop" brings a track back', async () => {
    const page = context!.pages()[0];
    const hidden = (track: number) => page.$eval<boolean>(`.track[data-track="${track}"]`, (el) => el.hidden);
    const waitHidden = (track: number, want: boolean) =>
      page.waitForFunction(([t, w]) => (document.querySelector(`.track[data-track="${t}"]`) as { hidden: boolean }).hidden === w, [track, want], { timeout: 5000 });
    assert.equal(await page.$eval<boolean>('#add-loop', (el) => el.disabled), true, 'every track is a loop: nothing to add');
    await page.click('.track[data-track="4"] [data-command="deleteLoop"]');
    await waitHidden(4, true);
    assert.equal(await page.locator('.track:not([hidden])').count(), 3);
    assert.equal(await page.$eval<boolean>('#add-loop', (el) => el.disabled), false);
    // track 1 holds a loop: the first tap only arms the button
    await page.click('.track[data-track="1"] [data-command="deleteLoop"]');
    assert.equal(await page.$eval('.track[data-track="1"] [data-command="deleteLoop"]', (el) => el.textContent), 'sure?');
    await page.waitForTimeout(300);
    assert.equal(await hidden(1), false);
    await page.click('.track[data-track="1"] [data-command="deleteLoop"]');
    await waitHidden(1, true);
    // "+ loop" takes the first free track: 1, empty again; then 4
    await page.click('#add-loop');
    await waitHidden(1, false);
    await waitForAttr(page, '.track[data-track="1"]', 'data-state', 'empty', 5000);
    await page.click('#add-loop');
    await waitHidden(4, false);
    assert.equal(await page.locator('.track:not([hidden])').count(), 4);
  });

  it('on a phone-sized screen the tracks sit two by two with finger-sized buttons', async () => {
    const phone = await context!.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(looper!.panelUrl);
    await phone.waitForSelector('.track[data-track="4"]');
    const boxes = await phone.$$eval('.track', (els) => els.map((el) => el.getBoundingClientRect().toJSON() as { top: number; width: number }));
    assert.equal(boxes[0].top, boxes[1].top, 'tracks 1 and 2 side by side');
    assert.ok(boxes[2].top > boxes[0].top, 'track 3 on the next row');
    const big = await phone.$eval('.track[data-track="1"] .big', (el) => el.getBoundingClientRect().width);
    assert.ok(big >= 120, `big button ${big}px wide`);
    const small = await phone.$eval('.track[data-track="1"] [data-command="play"]', (el) => el.getBoundingClientRect().height);
    assert.ok(small >= 40, `small buttons ${small}px high`);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'panel-phone.png') });
    await phone.close();
  });

  it('the editor shows the starter flow with every node known', async () => {
    const page = await context!.newPage();
    await page.setViewportSize({ width: 1600, height: 900 });
    await page.goto(looper!.editorUrl);
    // npm start locks the editor with the login it printed at the first start
    await page.waitForSelector('#node-dialog-login-password', { timeout: 30000 });
    await page.fill('#node-dialog-login-username', 'admin');
    await page.fill('#node-dialog-login-password', /editor login: admin \/ (\S+)/.exec(looper!.output())?.[1] ?? '');
    await page.click('#node-dialog-login-submit');
    await page.waitForSelector('.red-ui-flow-node-group', { timeout: 30000 });
    // a fresh Node-RED asks about update notifications, then offers its tour (Escape ends it)
    const no = 'button:has-text("do not enable")';
    for (let i = 0; i < 6; i++) {
      if (await page.$(no)) await page.click(no);
      else if (await page.$('.red-ui-tourGuide-popover')) await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
    await page.evaluate(() => (globalThis as any).RED.menu.setSelected('menu-item-sidebar', false));
    await page.waitForTimeout(1000);
    // node types the editor does not know are drawn with the "unknown" class
    assert.equal(await page.locator('.red-ui-flow-node-unknown').count(), 0);
    const labels = await page.$$eval('.red-ui-flow-node-label text', (els) => els.map((e) => e.textContent ?? ''));
    for (const label of ['panel /looper', 'track 1', 'track 4', 'metronome', 'mixer', 'audio in', 'audio out']) {
      assert.ok(labels.some((l) => l.includes(label)), `"${label}" on the canvas (${labels.join(', ')})`);
    }
    // as users without a sound card see it: audio in and out say so
    const statuses = await page.$$eval('.red-ui-flow-node-status-label', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(statuses.filter((t) => t === 'not available').length >= 2, `node statuses: ${statuses.join(', ')}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'flow.png') });
    if (UPDATE_DOCS) fs.copyFileSync(path.join(ARTIFACTS, 'flow.png'), path.join(ROOT, 'docs', 'flow.png'));
    await page.close();
  });

  it('Ctrl-C stops Node-RED and the engine host: no process is left', async () => {
    const tree = descendants(looper!.child.pid!);
    processes = tree;
    assert.ok(tree.some((pid) => commandLine(pid).includes('host-main')), `an engine host runs (${tree.map(commandLine).join(' | ')})`);
    const code = await looper!.interrupt();
    assert.equal(code, 0, looper!.output().slice(-2000));
    await until('every process of the looper to end', () => processes.every((pid) => !alive(pid)), 5000);
    assert.match(looper!.output(), /stopping Node-RED and the engine/);
    looper = undefined;
  });
});
