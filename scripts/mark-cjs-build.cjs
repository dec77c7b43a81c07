#!/usr/bin/env node
// Part of `npm run build`: marks dist/cjs as CommonJS. The package is "type": "module", so without
// dist/cjs/package.json Node and TypeScript would read the CommonJS build's .js and .d.ts files as
// ES modules. The ES module build (dist/esm) keeps the package's own "type": "module".
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const cjs = path.resolve(__dirname, '..', 'dist', 'cjs');
if (!fs.existsSync(path.join(cjs, 'index.js'))) {
  console.error('mark-cjs-build: dist/cjs/index.js is missing: run tsc -p tsconfig.build.cjs.json first');
  process.exit(1);
}
fs.writeFileSync(path.join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
