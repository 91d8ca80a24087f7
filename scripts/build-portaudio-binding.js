#!/usr/bin/env node
// Builds the engine host's native audio paths against the system's PortAudio:
//   native/bridge: the callback bridge, the host's first choice (float32, one callback, lock-free rings;
//     the system's PortAudio has the JACK host API too);
//   native/binding.gyp: naudiodon's sources, the stream-path fallback where the naudiodon package
//     cannot load (64-bit Raspberry Pi OS links its bundled x64 library, naudiodon issue #68; GCC 14
//     does not compile it). Built only when the naudiodon package is missing.
// See docs/audio.md.
//
//   node scripts/build-portaudio-binding.js            build, then load and count the devices
//   node scripts/build-portaudio-binding.js --stream-path   the stream path too, even beside naudiodon
//   node scripts/build-portaudio-binding.js --if-needed   (postinstall) only what is missing;
//                                                       never fails the install
//
// Needs: apt install libportaudio2 portaudio19-dev libasound2-dev (and a C/C++ compiler, python3).
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const nativeDir = path.join(root, 'native');
const output = path.join(nativeDir, 'build', 'Release', 'naudiodon.node');
const bridgeDir = path.join(nativeDir, 'bridge');
const bridgeOutput = path.join(bridgeDir, 'build', 'Release', 'loopstation_bridge.node');
const INSTALL = 'apt install libportaudio2 portaudio19-dev libasound2-dev build-essential python3';

class BuildError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BuildError';
  }
}

function hasPortAudioDev() {
  try {
    execFileSync('pkg-config', ['--exists', 'portaudio-2.0'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** npm's own node-gyp (bundled with npm, or Debian's node-gyp package), so nothing is downloaded. */
function findNodeGyp() {
  const prefix = path.join(path.dirname(process.execPath), '..');
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package here
  }
  return candidates.find((c) => c && fs.existsSync(c));
}

/** Node's headers where the runtime ships them (official tarballs, Debian's libnode-dev); else node-gyp downloads them. */
function nodeDirArgs() {
  const prefix = path.join(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return [`--nodedir=${prefix}`];
  return [];
}

function checkBuildTools() {
  if (!hasPortAudioDev()) {
    throw new BuildError(`the PortAudio development files are missing (pkg-config portaudio-2.0 finds nothing); install them: ${INSTALL}`);
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) throw new BuildError(`node-gyp was not found (it comes with npm); install it: npm install -g node-gyp, or ${INSTALL.replace('apt install', 'apt install node-gyp')}`);
  return nodeGyp;
}

/** Compiles one binding.gyp folder, then loads the result in a child (PortAudio prints while it probes; a broken build may crash). */
function compile(log, dir, file, what, count) {
  const nodeGyp = checkBuildTools();
  log(`building ${what} against PortAudio ${execFileSync('pkg-config', ['--modversion', 'portaudio-2.0']).toString().trim()} with ${nodeGyp}`);
  const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--directory=${dir}`, ...nodeDirArgs()], { stdio: 'inherit' });
  if (r.status !== 0) throw new BuildError(`node-gyp failed for ${what} (exit ${r.status ?? r.signal}); see its output above. Needed: ${INSTALL}`);
  const check = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(file)}).${count}().length))`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JACK_NO_START_SERVER: '1' },
  });
  const devices = Number(check.stdout.trim().split('\n').pop());
  if (check.status !== 0 || !Number.isInteger(devices)) {
    throw new BuildError(`${what} was built but does not load: ${(check.stderr || check.stdout).trim().split('\n').slice(-2).join(' ')}`);
  }
  log(`built ${file}: PortAudio sees ${devices} device(s)`);
}

function buildBridge(log) {
  compile(log, bridgeDir, bridgeOutput, 'the callback audio bridge', 'devices');
}

function buildStreamPath(log) {
  compile(log, nativeDir, output, "naudiodon's stream path", 'getDevices');
}

/** What `loopstation build-audio` asks: the bridge, and the stream path where naudiodon is missing (or always, with --stream-path). */
function build(log, withStreamPath = !naudiodonInstalled()) {
  buildBridge(log);
  if (withStreamPath) buildStreamPath(log);
}

function naudiodonInstalled() {
  try {
    const dir = path.dirname(require.resolve('naudiodon/package.json', { paths: [root] }));
    return fs.existsSync(path.join(dir, 'build', 'Release', 'naudiodon.node'));
  } catch {
    return false;
  }
}

function main() {
  const log = (line) => process.stderr.write(`loopstation build-audio: ${line}\n`);
  if (process.argv.includes('--if-needed')) {
    // postinstall: an install must never fail because of audio; say what runs and what would help
    const wanted = [];
    if (!fs.existsSync(bridgeOutput)) wanted.push(buildBridge);
    if (!naudiodonInstalled() && !fs.existsSync(output)) wanted.push(buildStreamPath);
    if (wanted.length === 0) return 0;
    if (!hasPortAudioDev()) {
      log(`PortAudio's development files are missing, so the callback audio bridge is not built: the engine uses ${naudiodonInstalled() ? "naudiodon's stream path" : 'no sound (null backend)'}. For the bridge: ${INSTALL}, then npx loopstation build-audio`);
      return 0;
    }
    for (const step of wanted) {
      try {
        step(log);
      } catch (err) {
        log(`${err.message}; the engine falls back (stream path, then no sound) until npx loopstation build-audio succeeds`);
      }
    }
    return 0;
  }
  try {
    build(log, process.argv.includes('--stream-path') || !naudiodonInstalled());
    return 0;
  } catch (err) {
    log(err.message);
    return 1;
  }
}

module.exports = { build, buildBridge, BuildError, output, bridgeOutput };

if (require.main === module) process.exitCode = main();
