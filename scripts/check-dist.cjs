#!/usr/bin/env node
// Checks the built package the way consumers meet it. Run it after `npm run build`.
// - `npm pack` it (without running prepack again) and checks what the tarball holds;
// - unpacks the tarball into a scratch node_modules next to links to the peer dependencies (and
//   nothing else), then, in plain Node, loads the package by name with require() and with import():
//   both must resolve to the ES module build (the "module-sync" condition, Node >= 20.19) and give
//   the very same class objects (one copy of each class per process: no dual package hazard);
// - resolves the package the way tools that do not know "module-sync" do: jest's resolver with the
//   conditions of its CommonJS mode must get the CommonJS build (dist/cjs), with those of its ESM
//   mode the ES module build; TypeScript must get dist/cjs/index.d.ts for require and
//   dist/esm/index.d.ts for import;
// - loads the CommonJS build itself and checks that it exports the same names as the ESM build;
// - checks the "bin" (the ops CLI): in the tarball, executable, with its #! line, and that
//   `nestjs-clamator --help` runs from the unpacked package in plain Node.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const name = manifest.name;

const ESM_JS = 'dist/esm/index.js';
const ESM_DTS = 'dist/esm/index.d.ts';
const CJS_JS = 'dist/cjs/index.js';
const CJS_DTS = 'dist/cjs/index.d.ts';

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
function section(title) {
  console.log(title);
}

function nodeSupportsRequireEsm() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
}

function pack(destination) {
  // --ignore-scripts: prepack would build again; this script checks the build that exists.
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [info] = JSON.parse(out);
  return {
    tarball: path.join(destination, info.filename),
    files: info.files.map((f) => f.path),
    modes: new Map(info.files.map((f) => [f.path, f.mode])),
  };
}

/** Links a package of the repository's node_modules into the scratch node_modules. */
function linkDependency(modules, dependency) {
  const source = path.join(root, 'node_modules', dependency);
  if (!fs.existsSync(source)) throw new Error(`peer dependency ${dependency} is not installed; run npm ci first`);
  const target = path.join(modules, dependency);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(source, target, 'dir');
}

/** Every file target named in an exports value (strings, nested condition objects). */
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets);
  return [];
}

function checkManifest() {
  section('package.json');
  const exportsMap = manifest.exports ?? {};
  check(JSON.stringify(Object.keys(exportsMap)) === JSON.stringify(['.']), 'exports has only "."');
  const dot = exportsMap['.'] ?? {};
  check(
    JSON.stringify(Object.keys(dot)) === JSON.stringify(['module-sync', 'import', 'require', 'default']),
    'exports["."] lists module-sync, import, require, default, in that order (first match wins)',
  );
  const expected = {
    'module-sync': { types: `./${ESM_DTS}`, default: `./${ESM_JS}` },
    import: { types: `./${ESM_DTS}`, default: `./${ESM_JS}` },
    require: { types: `./${CJS_DTS}`, default: `./${CJS_JS}` },
  };
  for (const [condition, targets] of Object.entries(expected)) {
    check(
      JSON.stringify(dot[condition]) === JSON.stringify(targets),
      `exports["."]["${condition}"] is ${JSON.stringify(targets)} (types first)`,
    );
  }
  check(dot.default === `./${ESM_JS}`, `exports["."].default is ./${ESM_JS}`);
  // Resolvers that ignore "exports" (TypeScript's node10 resolution) read main/types: CommonJS.
  check(manifest.main === `./${CJS_JS}` && manifest.types === `./${CJS_DTS}`, 'main and types name the CommonJS build');
  check(manifest.license === 'MIT', 'license is MIT');
  for (const field of ['repository', 'homepage', 'bugs']) check(Boolean(manifest[field]), `${field} is set`);
  for (const peer of ['class-validator', 'class-transformer']) {
    check(manifest.peerDependenciesMeta?.[peer]?.optional === true, `${peer} is an optional peer`);
  }
}

function checkTarball(files) {
  section('tarball');
  for (const file of ['package.json', 'README.md', 'LICENSE']) check(files.includes(file), `holds ${file}`);
  const targets = [manifest.main, manifest.types, ...exportTargets(manifest.exports)].map((t) => path.posix.normalize(t));
  for (const target of new Set(targets)) check(files.includes(target), `holds ${target}`);
  check(files.includes('dist/cjs/package.json'), 'holds dist/cjs/package.json');
  const stray = files.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/(esm|cjs)\/)/.test(f));
  check(stray.length === 0, `holds nothing besides dist/esm/, dist/cjs/, package.json, README.md, LICENSE${stray.length ? `: ${stray.join(', ')}` : ''}`);
  check(!files.some((f) => /\.spec\.(js|d\.ts)$/.test(f)), 'holds no compiled tests');
  const relative = (build) =>
    files
      .filter((f) => f.startsWith(`dist/${build}/`) && /\.(js|d\.ts)$/.test(f))
      .map((f) => f.slice(`dist/${build}/`.length))
      .sort();
  check(JSON.stringify(relative('esm')) === JSON.stringify(relative('cjs')), 'dist/esm and dist/cjs hold the same .js and .d.ts files');
}

const BIN = { 'nestjs-clamator': './dist/esm/cli/main.js' };

/** The ops CLI: named in "bin", packed executable, and it runs from the unpacked package. */
function checkBin(files, modes, installed) {
  section('bin (the ops CLI)');
  check(JSON.stringify(manifest.bin) === JSON.stringify(BIN), `bin is ${JSON.stringify(BIN)}`);
  for (const target of Object.values(BIN)) {
    const file = path.posix.normalize(target);
    check(files.includes(file), `holds ${file}`);
    check(((modes.get(file) ?? 0) & 0o111) === 0o111, `${file} is executable in the tarball (mode ${(modes.get(file) ?? 0).toString(8)})`);
    const text = fs.readFileSync(path.join(installed, file), 'utf8');
    check(text.startsWith('#!/usr/bin/env node\n'), `${file} starts with #!/usr/bin/env node`);
    let help = '';
    let status = 0;
    try {
      help = execFileSync(process.execPath, [path.join(installed, file), '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      status = error.status ?? 1;
    }
    check(status === 0 && help.startsWith('Usage: nestjs-clamator '), `node ${file} --help exits 0 and prints the usage`);
  }
}

function checkBuildFormats(installed) {
  section('build formats');
  const cjsPackage = JSON.parse(fs.readFileSync(path.join(installed, 'dist/cjs/package.json'), 'utf8'));
  check(cjsPackage.type === 'commonjs', 'dist/cjs/package.json says "type": "commonjs"');
  const esm = fs.readFileSync(path.join(installed, ESM_JS), 'utf8');
  const cjs = fs.readFileSync(path.join(installed, CJS_JS), 'utf8');
  check(/^export /m.test(esm) && !/\brequire\(/.test(esm), `${ESM_JS} is an ES module`);
  check(/\brequire\("\.\/server\/clamator-server\.js"\)/.test(cjs) && !/^export /m.test(cjs), `${CJS_JS} is CommonJS`);
}

/** jest's own resolver (jest-resolve), with the conditions jest passes in each mode. */
function checkJestResolution(consumerDir, installed) {
  section('resolvers that do not know "module-sync"');
  const Resolver = require(require.resolve('jest-resolve', { paths: [root] })).default;
  // jest-runtime 30 adds "module-sync" to its CommonJS conditions only where node:vm can evaluate
  // ES modules synchronously (Node >= 24.9 with --experimental-vm-modules); these are the others.
  const cases = [
    { mode: 'CommonJS mode', conditions: ['require', 'node', 'default', 'node-addons'], want: CJS_JS },
    { mode: 'ESM mode', conditions: ['import', 'module-sync', 'default', 'node', 'node-addons'], want: ESM_JS },
  ];
  for (const { mode, conditions, want } of cases) {
    const got = Resolver.findNodeModule(name, { basedir: consumerDir, conditions });
    check(got === path.join(installed, want), `jest's resolver in ${mode} [${conditions.join(', ')}] gives ${want}${got === path.join(installed, want) ? '' : ` (got ${got})`}`);
  }

  const ts = require(require.resolve('typescript', { paths: [root] }));
  const nodeNext = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
  const tsCases = [
    { what: 'require (nodenext, a CommonJS file)', file: 'index.cts', options: nodeNext, mode: ts.ModuleKind.CommonJS, want: CJS_DTS },
    { what: 'import (nodenext, an ES module file)', file: 'index.mts', options: nodeNext, mode: ts.ModuleKind.ESNext, want: ESM_DTS },
    {
      what: 'node10 resolution (main/types)',
      file: 'index.ts',
      options: { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, ignoreDeprecations: '6.0' },
      mode: undefined,
      want: CJS_DTS,
    },
  ];
  for (const { what, file, options, mode, want } of tsCases) {
    const resolved = ts.resolveModuleName(name, path.join(consumerDir, file), options, ts.sys, undefined, undefined, mode);
    const got = resolved.resolvedModule?.resolvedFileName;
    check(got === path.join(installed, want), `TypeScript ${ts.version}, ${what}, gives ${want}${got === path.join(installed, want) ? '' : ` (got ${got})`}`);
  }
}

async function checkPlainNode(consumerDir, installed) {
  section('plain Node: require() and import() by name');
  const consumerRequire = createRequire(path.join(consumerDir, 'index.cjs'));
  const required = consumerRequire.resolve(name);
  check(required === path.join(installed, ESM_JS), `require.resolve('${name}') gives ${ESM_JS} ("module-sync")`);

  // An ES module of the consumer imports the package by name.
  const probe = path.join(consumerDir, 'probe.mjs');
  fs.writeFileSync(probe, `export * as lib from '${name}';\nexport const resolved = import.meta.resolve('${name}');\n`);
  const imported = await import(pathToFileURL(probe).href);
  check(imported.resolved === pathToFileURL(path.join(installed, ESM_JS)).href, `import.meta.resolve('${name}') gives ${ESM_JS}`);

  let lib;
  try {
    lib = consumerRequire(name);
  } catch (error) {
    if (error && error.code === 'ERR_REQUIRE_ASYNC_MODULE') {
      throw new Error('the package (or a dependency) uses top-level await, so CommonJS cannot require() it', { cause: error });
    }
    throw error;
  }
  check(true, `require('${name}') loads from CommonJS`);
  const esm = imported.lib;

  for (const exported of [...exportedClasses, ...errorClasses]) {
    check(typeof lib[exported] === 'function', `${exported} is an exported function`);
  }
  for (const exported of errorClasses) {
    check(typeof lib[exported] === 'function' && lib[exported].prototype instanceof Error, `${exported} extends Error`);
  }
  check(typeof lib.ErrorCode === 'object' && lib.ErrorCode !== null, 'ErrorCode is exported');
  check(typeof lib.CLAMATOR_TRANSPORT === 'symbol', 'CLAMATOR_TRANSPORT is an exported symbol');

  // One copy: require() and import() give the same objects, so instanceof holds across them.
  const names = Object.keys(esm).sort();
  check(JSON.stringify(Object.keys(lib).filter((k) => k !== '__esModule').sort()) === JSON.stringify(names), 'require() and import() export the same names');
  const different = names.filter((k) => lib[k] !== esm[k]);
  check(different.length === 0, `require() and import() give the same objects (one copy of each class)${different.length ? `; different: ${different.join(', ')}` : ''}`);
  const rpcError = new lib.ClamatorRpcError(-32000, 'boom');
  check(rpcError instanceof esm.ClamatorRpcError, 'a ClamatorRpcError made through require() is instanceof the imported class');

  // The consumer's Nest and the library's Nest are one copy, so Nest sees a real transport.
  const { Server, ClientProxy } = consumerRequire('@nestjs/microservices');
  check(lib.ClamatorServer.prototype instanceof Server, "ClamatorServer extends the consumer's @nestjs/microservices Server");
  check(lib.ClamatorClient.prototype instanceof ClientProxy, "ClamatorClient extends the consumer's @nestjs/microservices ClientProxy");

  section('the CommonJS build itself (what jest in CommonJS mode loads)');
  const cjs = consumerRequire(path.join(installed, CJS_JS));
  const cjsNames = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
  check(JSON.stringify(cjsNames) === JSON.stringify(names), `${CJS_JS} exports the same names as ${ESM_JS}`);
  check(cjs.ClamatorServer.prototype instanceof Server, `${CJS_JS}'s ClamatorServer extends the consumer's Server`);
  check(cjs.ClamatorServer !== esm.ClamatorServer, 'the CommonJS build is a separate copy (which is why plain Node must never load it)');
}

async function main() {
  if (!nodeSupportsRequireEsm()) {
    throw new Error(`Node ${process.versions.node} cannot require() ES modules; the package needs Node >= 20.19`);
  }
  for (const file of [ESM_JS, ESM_DTS, CJS_JS, CJS_DTS, 'dist/cjs/package.json']) {
    if (!fs.existsSync(path.join(root, file))) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }

  checkManifest();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'clamator-check-dist-'));
  try {
    console.log(`packing ${name}@${manifest.version}`);
    const { tarball, files, modes } = pack(scratch);
    checkTarball(files);

    const consumerDir = path.join(scratch, 'consumer');
    const modules = path.join(consumerDir, 'node_modules');
    const installed = path.join(modules, name);
    fs.mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], { stdio: 'inherit' });
    for (const dependency of Object.keys(manifest.peerDependencies)) linkDependency(modules, dependency);

    checkBuildFormats(installed);
    checkJestResolution(consumerDir, installed);
    await checkPlainNode(consumerDir, installed);
    checkBin(files, modes, installed);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  if (failures.length > 0) {
    console.error(`check-dist: ${failures.length} check(s) failed`);
    process.exitCode = 1;
  } else {
    console.log('check-dist: one copy from require() and import(), the CommonJS build for resolvers without "module-sync"');
  }
}

main().catch((error) => {
  console.error(`check-dist: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
