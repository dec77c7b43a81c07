import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** How one run of the CLI ended. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit. */
  readonly elapsedMs: number;
}

/**
 * Runs the ops CLI (`lib/cli/main.ts`) as its own Node process through the repository's TS
 * loader, the way `npx nestjs-clamator` runs the built file. The process must exit by itself: it
 * is killed after `killAfterMs` (and the run then fails the test through `signal`).
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}, killAfterMs = 60_000): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', './scripts/register-ts.mjs', 'lib/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}
