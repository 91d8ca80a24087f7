#!/usr/bin/env node
// Builds the PortAudio binding the engine host falls back to when the naudiodon package cannot load:
// native/binding.gyp compiles naudiodon's sources (native/naudiodon) against the system's PortAudio.
// This is the path on 64-bit Raspberry Pi OS (naudiodon links its bundled x64 library there and fails,
// naudiodon issue #68) and with GCC 14 (naudiodon does not compile). See docs/audio.md.
//
//   node scripts/build-portaudio-binding.js            build, then load it and count the devices
//   node scripts/build-portaudio-binding.js --if-needed   (postinstall) only when naudiodon is missing;
//                                                       never fails the install
//
// Needs: apt install libportaudio2 portaudio19-dev libasound2-dev (and a C++ compiler, python3).
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const nativeDir = path.join(root, 'native');
const output = path.join(nativeDir, 'build', 'Release', 'naudiodon.node');
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

function build(log) {
  if (!hasPortAudioDev()) {
    throw new BuildError(`the PortAudio development files are missing (pkg-config portaudio-2.0 finds nothing); install them: ${INSTALL}`);
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) throw new BuildError(`node-gyp was not found (it comes with npm); install it: npm install -g node-gyp, or ${INSTALL.replace('apt install', 'apt install node-gyp')}`);
  log(`building the PortAudio binding against PortAudio ${execFileSync('pkg-config', ['--modversion', 'portaudio-2.0']).toString().trim()} with ${nodeGyp}`);
  const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--directory=${nativeDir}`, ...nodeDirArgs()], { stdio: 'inherit' });
  if (r.status !== 0) throw new BuildError(`node-gyp failed (exit ${r.status ?? r.signal}); see its output above. Needed: ${INSTALL}`);
  // loaded in a child: PortAudio prints while it probes, and a broken build may crash
  const check = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(output)}).getDevices().length))`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const devices = Number(check.stdout.trim().split('\n').pop());
  if (check.status !== 0 || !Number.isInteger(devices)) {
    throw new BuildError(`the binding was built but does not load: ${(check.stderr || check.stdout).trim().split('\n').slice(-2).join(' ')}`);
  }
  log(`built ${output}: PortAudio sees ${devices} device(s); the engine host uses it when naudiodon does not load`);
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
    if (naudiodonInstalled() || fs.existsSync(output)) return 0;
    if (!hasPortAudioDev()) {
      log(`naudiodon did not install (normal on 64-bit Raspberry Pi OS) and PortAudio's development files are missing: the engine runs without sound (null backend). For sound: ${INSTALL}, then npx loopstation build-audio`);
      return 0;
    }
    try {
      build(log);
    } catch (err) {
      log(`${err.message}; the engine runs without sound (null backend) until npx loopstation build-audio succeeds`);
    }
    return 0;
  }
  try {
    build(log);
    return 0;
  } catch (err) {
    log(err.message);
    return 1;
  }
}

module.exports = { build, BuildError, output };

if (require.main === module) process.exitCode = main();
