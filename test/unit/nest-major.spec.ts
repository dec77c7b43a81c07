import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClientProxy, Server } from '@nestjs/microservices';
import { ClamatorClient, ClamatorServer } from '../../lib/index.js';

// CLAMATOR_NEST=11 makes jest.config.js map the Nest packages (with rxjs and reflect-metadata)
// to compat/nest11/node_modules. This file checks, at run time, that the copies jest really
// resolved are of the requested major, so a broken mapping cannot pass the Nest 11 run on Nest 12.
// Nest 12 does not export every package.json, so the version is read from disk: jest's own
// resolver (import.meta.resolve, moduleNameMapper applied) gives the entry file, and the
// package.json is the nearest one above it carrying the package's name.

interface ResolvedPackage {
  name: string;
  version: string;
  /** Directory of the package (where its package.json is). */
  dir: string;
  /** The file jest resolved the bare specifier to. */
  entry: string;
}

function requestedMajor(): number {
  const raw = process.env.CLAMATOR_NEST;
  if (raw === undefined || raw === '') return 12;
  if (!/^\d+$/.test(raw)) throw new Error(`CLAMATOR_NEST must be a Nest major such as 11 or 12, got "${raw}"`);
  return Number(raw);
}

function resolvePackage(name: string): ResolvedPackage {
  const entry = fileURLToPath(import.meta.resolve(name));
  let dir = dirname(entry);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && typeof pkg.version === 'string') return { name, version: pkg.version, dir, entry };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json named ${name} above ${entry}`);
    dir = parent;
  }
}

function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}

/** The node_modules directory a package was installed into (`.../node_modules` for `.../node_modules/@scope/name`). */
function installRoot(pkg: ResolvedPackage): string {
  return pkg.name.startsWith('@') ? dirname(dirname(pkg.dir)) : dirname(pkg.dir);
}

const nestPackages = ['@nestjs/common', '@nestjs/core', '@nestjs/microservices', '@nestjs/testing'];

describe('Nest major under test', () => {
  const major = requestedMajor();

  it.each(nestPackages)(`resolves %s to the Nest major CLAMATOR_NEST asks for (${major})`, (name) => {
    const pkg = resolvePackage(name);
    expect({ name, major: majorOf(pkg.version), at: pkg.dir }).toEqual({ name, major, at: pkg.dir });
  });

  it.each(['@nestjs/core', '@nestjs/microservices'])(
    'loads %s from the very file whose version was checked',
    async (name) => {
      const { entry } = resolvePackage(name);
      const bySpecifier: unknown = await import(name);
      const byFile: unknown = await import(entry);
      expect(byFile).toBe(bySpecifier);
    },
  );

  it('takes rxjs and reflect-metadata from the same install as Nest, so each has one copy at run time', () => {
    const nestRoot = installRoot(resolvePackage('@nestjs/core'));
    expect(installRoot(resolvePackage('rxjs'))).toBe(nestRoot);
    expect(installRoot(resolvePackage('reflect-metadata'))).toBe(nestRoot);
  });

  it('builds the library on the same @nestjs/microservices copy the tests use', () => {
    expect(ClamatorServer.prototype).toBeInstanceOf(Server);
    expect(ClamatorClient.prototype).toBeInstanceOf(ClientProxy);
  });
});
