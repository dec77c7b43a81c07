#!/usr/bin/env node
// Checks the built package the way a CommonJS consumer meets it: `npm pack` it, unpack the
// tarball into a scratch node_modules next to links to the peer dependencies (and nothing else),
// then `require('nestjs-clamator')` by name, which goes through package.json "exports" and, the
// package being ESM, through Node's require(esm) (Node >= 20.19). Run it after `npm run build`.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

const root = path.resolve(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Names that must be exported functions (classes). */
const exportedClasses = [
  'ClamatorServer',
  'ClamatorClient',
  'ClamatorStreamsService',
  'ClamatorExceptionFilter',
  'ClamatorContext',
  'ClamatorModule',
  'ClamatorKeys',
];
/** Exported classes whose instances must be Errors. */
const errorClasses = ['ClamatorRpcError', 'ClamatorTimeoutError', 'ClamatorTransportError', 'ClamatorOptionsError'];

const failures = [];
function check(ok, message) {
  if (ok) console.log(`  ok   ${message}`);
  else {
    console.log(`  FAIL ${message}`);
    failures.push(message);
  }
}

function nodeSupportsRequireEsm() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
}

function pack(destination) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [info] = JSON.parse(out);
  return { tarball: path.join(destination, info.filename), files: info.files.map((f) => f.path) };
}

/** Links a package of the repository's node_modules into the scratch node_modules. */
function linkDependency(modules, name) {
  const source = path.join(root, 'node_modules', name);
  if (!fs.existsSync(source)) throw new Error(`peer dependency ${name} is not installed; run npm ci first`);
  const target = path.join(modules, name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(source, target, 'dir');
}

function main() {
  if (!nodeSupportsRequireEsm()) {
    throw new Error(`Node ${process.versions.node} cannot require() ES modules; the package needs Node >= 20.19`);
  }
  for (const file of ['dist/index.js', 'dist/index.d.ts']) {
    if (!fs.existsSync(path.join(root, file))) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'clamator-check-dist-'));
  try {
    console.log(`packing ${manifest.name}@${manifest.version}`);
    const { tarball, files } = pack(scratch);
    check(files.includes('package.json'), 'the tarball holds package.json');
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.exports['.'])].map((t) =>
      path.posix.normalize(t),
    );
    for (const target of new Set(targets)) check(files.includes(target), `the tarball holds ${target}`);
    const stray = files.filter((f) => f !== 'package.json' && !/^(dist\/|README|LICENSE)/i.test(f));
    check(stray.length === 0, `the tarball holds nothing besides dist/, package.json, README, LICENSE${stray.length ? `: ${stray.join(', ')}` : ''}`);
    check(!files.some((f) => /\.spec\.(js|d\.ts)$/.test(f)), 'the tarball holds no compiled tests');

    const modules = path.join(scratch, 'consumer', 'node_modules');
    const installed = path.join(modules, manifest.name);
    fs.mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], { stdio: 'inherit' });
    for (const name of Object.keys(manifest.peerDependencies)) linkDependency(modules, name);

    // A CommonJS file of the consumer resolves the package by its name.
    const consumerRequire = createRequire(path.join(scratch, 'consumer', 'index.cjs'));
    const resolved = consumerRequire.resolve(manifest.name);
    check(resolved === path.join(installed, 'dist', 'index.js'), `require.resolve('${manifest.name}') gives the packed dist/index.js`);

    let lib;
    try {
      lib = consumerRequire(manifest.name);
    } catch (error) {
      if (error && error.code === 'ERR_REQUIRE_ASYNC_MODULE') {
        throw new Error('the package (or a dependency) uses top-level await, so CommonJS cannot require() it', { cause: error });
      }
      throw error;
    }
    check(true, `require('${manifest.name}') loads the ES module from CommonJS`);

    for (const name of [...exportedClasses, ...errorClasses]) {
      check(typeof lib[name] === 'function', `${name} is an exported function`);
    }
    for (const name of errorClasses) {
      check(typeof lib[name] === 'function' && lib[name].prototype instanceof Error, `${name} extends Error`);
    }
    check(typeof lib.ErrorCode === 'object' && lib.ErrorCode !== null, 'ErrorCode is exported');
    check(typeof lib.CLAMATOR_TRANSPORT === 'symbol', 'CLAMATOR_TRANSPORT is an exported symbol');

    // The consumer's Nest and the library's Nest are one copy, so Nest sees a real transport.
    const { Server, ClientProxy } = consumerRequire('@nestjs/microservices');
    check(lib.ClamatorServer.prototype instanceof Server, "ClamatorServer extends the consumer's @nestjs/microservices Server");
    check(lib.ClamatorClient.prototype instanceof ClientProxy, "ClamatorClient extends the consumer's @nestjs/microservices ClientProxy");
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  if (failures.length > 0) {
    console.error(`check-dist: ${failures.length} check(s) failed`);
    process.exitCode = 1;
  } else {
    console.log('check-dist: the built package loads from CommonJS and exports what it should');
  }
}

try {
  main();
} catch (error) {
  console.error(`check-dist: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
}
