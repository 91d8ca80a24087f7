#!/usr/bin/env node
// Build: AssemblyScript -> dist/lib/dsp/kernels.wasm, TypeScript -> CommonJS in dist/, then copy what
// Node-RED loads beside the compiled nodes (editor .html, locales, icons), since Node-RED looks for them
// next to the node's .js file.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

// The DSP kernels in WebAssembly SIMD (lib/dsp/assembly, excluded from tsconfig.json), beside the
// compiled lib/dsp/index.js that loads them (first: they do not depend on the TypeScript build). The
// module imports the engine's arena as env.memory and has no runtime, heap or abort import
// (--runtime stub, --use abort=).
execFileSync(
  process.execPath,
  [
    require.resolve('assemblyscript/bin/asc.js'),
    path.join(root, 'lib/dsp/assembly/kernels.ts'),
    '--outFile', path.join(root, 'dist/lib/dsp/kernels.wasm'),
    '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=',
    '--enable', 'simd', '--importMemory', '--noExportMemory',
  ],
  { stdio: 'inherit', cwd: root },
);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

const copyDir = (from, to, filter) => {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst, filter);
    else if (filter(entry.name)) fs.copyFileSync(src, dst);
  }
};
copyDir(path.join(root, 'nodes'), path.join(root, 'dist/nodes'), (n) => !n.endsWith('.ts'));
copyDir(path.join(root, 'icons'), path.join(root, 'dist/nodes/icons'), () => true);
// the panel's page (static files, no build step) beside the compiled lib/panel that serves it
copyDir(path.join(root, 'lib/panel/assets'), path.join(root, 'dist/lib/panel/assets'), () => true);
