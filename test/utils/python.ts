import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The system Python the generated modules are compiled with (pydantic is not installed there). */
export const PYTHON = '/usr/bin/python3';
const DESCRIBE = fileURLToPath(new URL('../unit/codegen/fixtures/describe_module.py', import.meta.url));

/** A field of a generated class, as Python's ast reads it. */
export interface PyField {
  readonly name: string;
  readonly annotation: string | null;
  readonly default: string | null;
}

/** A generated module's structure, as test/unit/codegen/fixtures/describe_module.py reports it. */
export interface PyModuleShape {
  readonly imports: { module: string; names: string[] }[];
  readonly classes: {
    name: string;
    bases: string[];
    fields: PyField[];
    methods: { name: string; abstract: boolean; args: string[]; returns: string | null; calls: string[] }[];
  }[];
  readonly methods: Record<string, Record<string, string>>;
  readonly contracts: Record<string, Record<string, string>>;
}

function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, args, { timeout: 30_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `python3 -m py_compile FILE`: rejects with Python's message when the file does not compile. */
export async function pyCompile(file: string): Promise<void> {
  const { code, stderr } = await run(['-m', 'py_compile', file]);
  if (code !== 0) throw new Error(`py_compile ${file} failed (exit ${code}):\n${stderr}`);
}

/** Parses a Python module with `ast` and returns its structure. */
export async function describePythonModule(file: string): Promise<PyModuleShape> {
  const { code, stdout, stderr } = await run([DESCRIBE, file]);
  if (code !== 0) throw new Error(`describe_module ${file} failed (exit ${code}):\n${stderr}`);
  return JSON.parse(stdout) as PyModuleShape;
}
