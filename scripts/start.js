#!/usr/bin/env node
// `npm start`: a Node-RED of the project's own (userDir ./.userdir, never ~/.node-red) with this package
// installed into it by a symlink and the starter flow (examples/starter-looper.json) deployed on first
// run. Prints the editor's and the panel's URLs once Node-RED listens.
//
//   PORT=1880                     the port (0 = any free one; the URLs printed say which)
//   LOOPSTATION_USERDIR=<folder>  another userDir (tests use a temporary one)
//   npm start -- <args>           more node-red arguments (--verbose, --safe, ...)
//
// The editor can deploy flows, i.e. run code on this machine, and Node-RED listens on every network
// interface (a phone on the pedalboard opens the panel over Wi-Fi). So the editor is locked: the first
// start makes a login (user "admin", a random password printed once in the banner), kept in the userDir
// as a bcrypt hash (loopstation-login.json; delete it for a new password at the next start). Node-RED
// runs with a settings file written here (loopstation-settings.js) that loads the userDir's own
// settings.js, if any, and adds that login unless settings.js sets adminAuth itself. The panel (an HTTP
// node) stays open to the network; docs/security.md says how to lock it too.
//
// Node-RED runs in a child process in its own process group, so a Ctrl-C in the terminal reaches only
// this script, which asks Node-RED to stop once: Node-RED closes the nodes, and the engine host quits
// with them instead of dying half-way on the same signal. A second Ctrl-C (or 20 s without an exit)
// kills the group. When this script goes away without a word, Node-RED sees its IPC channel close and
// stops too: nothing is left behind.
'use strict';
const { fork } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const LOGIN_FILE = 'loopstation-login.json';
const SETTINGS_FILE = 'loopstation-settings.js';

if (process.env.LOOPSTATION_START_CHILD === '1') {
  runNodeRed();
} else {
  main();
}

/** Child: Node-RED itself, stopping gracefully when the parent's channel closes. */
function runNodeRed() {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const red = require.resolve('node-red/red.js');
  process.argv = [process.argv[0], red, ...process.argv.slice(2)];
  require(red);
}

function main() {
  const userDir = path.resolve(process.env.LOOPSTATION_USERDIR || path.join(root, '.userdir'));
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 1880 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`loopstation: PORT=${process.env.PORT} is not a port; accepted: 0 (any free port) to 65535`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'nodes'))) {
    console.error('loopstation: dist/ is missing: run "npm install" (it builds) or "npm run build" first');
    process.exit(1);
  }
  try {
    require.resolve('node-red/red.js');
  } catch {
    console.error('loopstation: Node-RED is not installed here: run "npm install" first (node-red is a development dependency)');
    process.exit(1);
  }

  // the package, installed into the userDir the way the palette manager would, but linked: a rebuild shows at the next start
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-loopstation');
  let linked = false;
  try {
    linked = fs.realpathSync(link) === fs.realpathSync(root);
  } catch {
    // missing or dangling
  }
  if (!linked) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(root, link, 'dir');
  }
  // a userDir package.json lists what is installed there, as Node-RED's own installer keeps it
  const userPackage = path.join(userDir, 'package.json');
  if (!fs.existsSync(userPackage)) {
    fs.writeFileSync(userPackage, `${JSON.stringify({ name: 'loopstation-userdir', description: 'npm start\'s Node-RED user directory', version: '0.0.1', private: true, dependencies: { 'node-red-contrib-loopstation': `file:${root}` } }, null, 2)}\n`);
  }
  const flows = path.join(userDir, 'flows.json');
  const starter = path.join(root, 'examples', 'starter-looper.json');
  if (!fs.existsSync(flows) && fs.existsSync(starter)) {
    fs.copyFileSync(starter, flows);
    console.log(`loopstation: first start: the starter flow is in ${flows}`);
  }

  const login = editorLogin(userDir);
  const settings = writeSettings(userDir);
  const red = fork(__filename, ['--userDir', userDir, '--settings', settings, '--port', String(port), ...process.argv.slice(2)], {
    env: { ...process.env, LOOPSTATION_START_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    detached: true,
  });

  let buffered = '';
  red.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    buffered += chunk.toString('utf8');
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });

  function onLine(line) {
    const running = /Server now running at (\S+)/.exec(line);
    if (running) printBanner(running[1], panelPaths(flows), login);
    // the engine host found loops in its autosave: they play at once, so say where they come from
    const restored = /\] (restored \d+ loops? \(.*)$/.exec(line);
    if (restored) console.log(`\nloopstation: ${restored[1]}\n`);
    if (/\] no sound: /.test(line)) {
      console.log('\nloopstation: NO SOUND CARD: the engine runs on the null device (silent, paced like a card).');
      console.log('             The panel and the flow work; plug in a card or see README "Troubleshooting".\n');
    }
  }

  let stoppingAt = 0;
  let killTimer;
  const killGroup = () => {
    try {
      process.kill(-red.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const stop = (signal) => {
    if (stoppingAt) {
      // npm passes the terminal's Ctrl-C on too: the same press arrives twice
      if (Date.now() - stoppingAt < 1000) return;
      console.log('\nloopstation: stopping now');
      killGroup();
      return;
    }
    stoppingAt = Date.now();
    console.log(`\nloopstation: stopping Node-RED and the engine (${signal}; again to force)`);
    red.kill('SIGINT');
    killTimer = setTimeout(() => {
      console.log('loopstation: Node-RED did not stop within 20 s: killing it');
      killGroup();
    }, 20000);
    killTimer.unref();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));

  red.on('exit', (code, signal) => {
    clearTimeout(killTimer);
    // whatever of its group outlived it (an engine host that had no time to quit) goes with it
    killGroup();
    process.exit(code ?? (signal ? 1 : 0));
  });
}

/**
 * The editor's login: made on the first start (a random password, returned so the banner shows it once),
 * then read back (password null). Only the bcrypt hash is kept, in a file only this user can read.
 */
function editorLogin(userDir) {
  const file = path.join(userDir, LOGIN_FILE);
  if (fs.existsSync(file)) {
    const { username } = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { username, password: null, file };
  }
  // bcryptjs comes with Node-RED, which checks the hash with it
  const bcrypt = require(require.resolve('bcryptjs', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));
  const password = crypto.randomBytes(12).toString('base64url');
  const login = { username: 'admin', hash: bcrypt.hashSync(password, 10) };
  fs.writeFileSync(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  return { username: login.username, password, file };
}

/** The settings file Node-RED runs with: the userDir's settings.js plus the editor's login (see the top). */
function writeSettings(userDir) {
  const file = path.join(userDir, SETTINGS_FILE);
  fs.writeFileSync(file, `// Written by npm start (scripts/start.js) at every start: edit settings.js beside it instead.
// The userDir's own settings.js, with the editor locked by the login in ${LOGIN_FILE} unless
// settings.js sets adminAuth itself.
const fs = require('fs');
const path = require('path');
const own = path.join(__dirname, 'settings.js');
const user = fs.existsSync(own) ? require(own) : {};
const login = JSON.parse(fs.readFileSync(path.join(__dirname, ${JSON.stringify(LOGIN_FILE)}), 'utf8'));
module.exports = {
  flowFile: 'flows.json',
  ...user,
  adminAuth: user.adminAuth || { type: 'credentials', users: [{ username: login.username, password: login.hash, permissions: '*' }] },
};
`);
  return file;
}

/** The paths of the panels in the flow file (the starter has one: looper). */
function panelPaths(flowsFile) {
  try {
    const flow = JSON.parse(fs.readFileSync(flowsFile, 'utf8'));
    const nodes = Array.isArray(flow) ? flow : Array.isArray(flow.flows) ? flow.flows : [];
    const disabledTabs = new Set(nodes.filter((n) => n.type === 'tab' && n.disabled).map((n) => n.id));
    return nodes.filter((n) => n.type === 'loopstation-panel' && !n.d && !disabledTabs.has(n.z)).map((n) => n.path || 'looper');
  } catch {
    return [];
  }
}

function lanAddresses() {
  const out = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out;
}

function printBanner(editorUrl, paths, login) {
  const base = editorUrl.replace(/\/?$/, '/');
  const { port } = new URL(base);
  const lines = ['', '-'.repeat(72), ' loopstation is running', `   editor:  ${base}`];
  if (login.password) {
    lines.push(`   editor login: ${login.username} / ${login.password}   (shown this once; only its hash is kept)`);
  } else {
    lines.push(`   editor login: ${login.username} (the password printed at the first start; delete ${login.file} for a new one)`);
  }
  for (const p of paths) lines.push(`   panel:   ${new URL(`loopstation/${p}/`, `http://127.0.0.1:${port}/`).href}`);
  const lan = lanAddresses();
  if (paths.length && lan.length) lines.push(`   on a phone or tablet on this network: http://${lan[0]}:${port}/loopstation/${paths[0]}/`);
  if (!paths.length) lines.push('   (no panel node in the flow: add one from the palette to get the page)');
  lines.push('   Ctrl-C stops Node-RED and the audio engine', '-'.repeat(72), '');
  console.log(lines.join('\n'));
}
