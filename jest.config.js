// Jest runs in native ESM mode (NODE_OPTIONS=--experimental-vm-modules) because Nest 12 is ESM only.
// CLAMATOR_NEST=11 runs the same suite against the Nest 11 copies in compat/nest11 (see .ci/run).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const nest11 = `${root}compat/nest11/node_modules/`;

function nest11Mapper() {
  if (process.env.CLAMATOR_NEST !== '11') return {};
  if (!existsSync(`${nest11}@nestjs/core`)) {
    throw new Error('CLAMATOR_NEST=11 needs the Nest 11 copies: run `npm ci --prefix compat/nest11` first.');
  }
  const mapped = {};
  for (const name of ['common', 'core', 'microservices', 'testing', 'platform-express', 'terminus']) {
    mapped[`^@nestjs/${name}$`] = `${nest11}@nestjs/${name}`;
    mapped[`^@nestjs/${name}/(.*)$`] = `${nest11}@nestjs/${name}/$1`;
  }
  mapped['^rxjs$'] = `${nest11}rxjs`;
  mapped['^rxjs/(.*)$'] = `${nest11}rxjs/$1`;
  mapped['^reflect-metadata$'] = `${nest11}reflect-metadata`;
  return mapped;
}

// CLAMATOR_IOREDIS=5 runs the suite with ioredis 5 (RESP2 only) as the library's and the tests'
// ioredis, installed under the alias `ioredis5`.
function ioredis5Mapper() {
  if (process.env.CLAMATOR_IOREDIS !== '5') return {};
  return { '^ioredis$': `${root}node_modules/ioredis5` };
}

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    ...nest11Mapper(),
    ...ioredis5Mapper(),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'es6' },
      },
    ],
  },
  globalSetup: '<rootDir>/test/utils/global-setup.mjs',
  globalTeardown: '<rootDir>/test/utils/global-teardown.mjs',
  setupFiles: ['<rootDir>/test/utils/setup-reflect.mjs'],
  testTimeout: 30_000,
  // Fault tests kill and restart processes; a stray handle must not keep jest alive forever.
  forceExit: true,
};
