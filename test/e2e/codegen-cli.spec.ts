/**
 * `nestjs-clamator codegen` as users run it: the package compiled with tsc (as `npm run build`
 * does) and its bin run by plain Node, without this repository's TypeScript loader. On a
 * TypeScript contract with decorators (loaded through the project's typescript package) and on
 * a folder of compiled JavaScript (which imports the built package, a copy other than the one
 * the test process holds), the files written equal the golden files byte for byte and compile
 * with Python; a contract that cannot be mapped fails with exit 1, naming the field, and writes
 * nothing; a .ts contract out of reach of the typescript package fails naming it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { pyCompile } from '../utils/python.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(root, 'test/unit/codegen/fixtures');
const golden = join(fixtures, 'golden');
/** Inside the repository, so that the built files and compiled contracts resolve its node_modules. */
const work = join(root, `.codegen-e2e-${process.pid}`);
const dist = join(work, 'dist');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], timeoutMs = 120_000, cwd = root): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd, timeout: timeoutMs, env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function expectExit(result: Run, code: number): void {
  if (result.code !== code) throw new Error(`exit ${result.code}, expected ${code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

const codegen = (args: readonly string[], cwd = root) => run(join(dist, 'cli/main.js'), ['codegen', ...args], 120_000, cwd);

/** Compiles a fixture to an ES module next to the others, its import of the library pointed at the build. */
async function compileFixture(name: string, outDir: string): Promise<void> {
  const source = await readFile(join(fixtures, `${name}.ts`), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: `${name}.ts`,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, experimentalDecorators: true, emitDecoratorMetadata: true, useDefineForClassFields: false },
  });
  const library = relative(outDir, join(dist, 'index.js')).split('\\').join('/');
  await writeFile(join(outDir, `${name}.js`), outputText.replace("'../../../../lib/index.js'", `'${library}'`));
}

describe('nestjs-clamator codegen (built CLI)', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'clamator-codegen-cli-'));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const build = await run(tsc, ['-p', 'tsconfig.build.json', '--outDir', dist, '--declaration', 'false', '--sourceMap', 'false', '--inlineSources', 'false'], 240_000);
    expectExit(build, 0);
  }, 300_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });

  it('generates from a TypeScript contract with decorators exactly the golden Python module and schemas', async () => {
    const pyDir = join(out, 'ts-py');
    const schemaDir = join(out, 'ts-schemas');
    const result = await codegen(['--contracts', 'test/unit/codegen/fixtures/catalog.contract.ts', '--out-py', pyDir, '--out-json-schema', schemaDir]);
    expectExit(result, 0);
    expect(result.stdout).toContain('Generated from 1 contract(s): catalog-v2 (test/unit/codegen/fixtures/catalog.contract.ts)');
    expect(await readdir(pyDir)).toEqual(['catalog-v2.py']);
    expect((await readFile(join(pyDir, 'catalog-v2.py'))).equals(await readFile(join(golden, 'catalog-v2.py')))).toBe(true);
    const schemas = (await readdir(schemaDir)).sort();
    expect(schemas).toHaveLength(8);
    for (const schema of schemas) {
      expect((await readFile(join(schemaDir, schema))).equals(await readFile(join(golden, schema)))).toBe(true);
    }
    await pyCompile(join(pyDir, 'catalog-v2.py'));
  }, 120_000);

  it('generates from a folder of compiled JavaScript, each re-exported contract once, zod contracts included', async () => {
    const compiled = join(work, 'compiled');
    await mkdir(compiled, { recursive: true });
    await compileFixture('catalog.contract', compiled);
    await compileFixture('notes.contract', compiled);
    // An index that re-exports a contract names the same object again: one file per service still.
    await writeFile(join(compiled, 'index.js'), "export { catalog } from './catalog.contract.js';\n");
    const pyDir = join(out, 'js-py');
    const result = await codegen(['--contracts', relative(root, compiled), '--out-py', pyDir, '--json']);
    expectExit(result, 0);
    const report = JSON.parse(result.stdout) as { contracts: { service: string; source: string }[]; files: string[] };
    const source = (file: string) => `${relative(root, compiled)}/${file}`;
    expect(report.contracts).toEqual([
      { service: 'catalog-v2', source: source('catalog.contract.js') },
      { service: 'notes', source: source('notes.contract.js') },
    ]);
    expect((await readdir(pyDir)).sort()).toEqual(['catalog-v2.py', 'notes.py']);
    for (const [file, fixture] of [['catalog-v2.py', 'catalog.contract'], ['notes.py', 'notes.contract']]) {
      const expected = (await readFile(join(golden, file), 'utf8')).replace(`test/unit/codegen/fixtures/${fixture}.ts`, source(`${fixture}.js`));
      expect(await readFile(join(pyDir, file), 'utf8')).toBe(expected);
      await pyCompile(join(pyDir, file));
    }
  }, 120_000);

  it('fails with exit 1 naming the field it cannot map, and writes nothing', async () => {
    const bad = join(work, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(
      join(bad, 'mail.contract.ts'),
      [
        "import { IsEmail, IsString } from 'class-validator';",
        `import { defineContract, method } from '${relative(bad, join(dist, 'index.js')).split('\\').join('/')}';`,
        'export class SendParams { @IsString() subject!: string; @IsEmail() to!: string; }',
        'export class SendResult { @IsString() id!: string; }',
        "export const mail = defineContract('mail', { send: method({ params: SendParams, result: SendResult }) });",
        '',
      ].join('\n'),
    );
    const pyDir = join(out, 'bad-py');
    const result = await codegen(['--contracts', relative(root, bad), '--out-py', pyDir]);
    expectExit(result, 1);
    expect(result.stderr).toContain('nestjs-clamator codegen: Contract "mail", method "send": SendParams.to: @IsEmail has no pydantic mapping');
    await expect(readdir(pyDir)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it('fails with exit 2 on a codegen command line without --contracts, and exit 1 on a folder with no contract', async () => {
    const usage = await codegen(['--out-py', out]);
    expectExit(usage, 2);
    expect(usage.stderr).toContain('codegen needs --contracts');
    const empty = join(work, 'empty');
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, 'helpers.js'), 'export const answer = 42;\n');
    const none = await codegen(['--contracts', relative(root, empty), '--out-py', join(out, 'none')]);
    expectExit(none, 1);
    expect(none.stderr).toContain('no module exports a contract');
  }, 120_000);

  it('names the missing typescript package when a .ts contract lies outside any project that has it', async () => {
    // The temporary folder has no node_modules above it: neither the contract nor the working directory reaches typescript.
    const lonely = await mkdtemp(join(tmpdir(), 'clamator-codegen-lonely-'));
    try {
      await writeFile(join(lonely, 'x.contract.ts'), "export const x = { service: 'x', methods: {} };\n");
      const result = await codegen(['--contracts', 'x.contract.ts', '--out-py', 'py'], lonely);
      expectExit(result, 1);
      expect(result.stderr).toContain('needs the "typescript" package (an optional peer of nestjs-clamator): install it in the project, or point --contracts at compiled JavaScript.');
    } finally {
      await rm(lonely, { recursive: true, force: true });
    }
  }, 120_000);
});
