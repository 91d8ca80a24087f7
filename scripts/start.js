#!/usr/bin/env node
// `npm start`: a Node-RED of the project's own (userDir ./.userdir, never ~/.node-red) with this package
// installed into it by a symlink and the starter flow deployed on first run. Prints the editor URL.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const userDir = path.join(root, '.userdir');
const port = Number(process.env.PORT || 1880);
const starterFlow = path.join(root, 'examples', 'starter-looper.json');

if (!fs.existsSync(path.join(root, 'dist', 'nodes'))) {
  console.error('loopstation: dist/ is missing: run "npm install" (it builds) or "npm run build" first');
  process.exit(1);
}
fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
const link = path.join(userDir, 'node_modules', 'node-red-contrib-loopstation');
if (!fs.existsSync(link)) fs.symlinkSync(root, link, 'dir');
const flows = path.join(userDir, 'flows.json');
if (!fs.existsSync(flows) && fs.existsSync(starterFlow)) fs.copyFileSync(starterFlow, flows);

console.log(`loopstation: Node-RED editor at http://127.0.0.1:${port}/ (userDir ${userDir})`);
const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(port), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => red.kill(signal));
red.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
