import { CliOutput } from '../../../lib/cli/output.js';
import { runCli } from '../../../lib/cli/run.js';

function collecting(): { output: CliOutput; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { output: new CliOutput({ write: (text: string) => stdout.push(text) }, { write: (text: string) => stderr.push(text) }), stdout, stderr };
}

describe('CliOutput', () => {
  it('prints results on stdout (one JSON document with --json) and everything else on stderr', () => {
    const { output, stdout, stderr } = collecting();
    output.print('table');
    output.json({ a: [1] });
    output.error('oops\n');
    expect(stdout).toEqual(['table\n', '{\n  "a": [\n    1\n  ]\n}\n']);
    expect(stderr).toEqual(['oops\n']);
  });

  it('routes Nest log lines to stderr, warnings and errors only', () => {
    const { output, stdout, stderr } = collecting();
    const logger = output.nestLogger();
    logger.log('chatter', 'ClamatorStreams');
    logger.warn('scripts refused', 'ClamatorStreams');
    logger.error('failed');
    expect(stdout).toEqual([]);
    expect(stderr).toEqual(['warn [ClamatorStreams] scripts refused\n', 'error failed\n']);
  });
});

describe('runCli without Redis', () => {
  it('prints the usage on stdout for --help and exits 0', async () => {
    const { output, stdout, stderr } = collecting();
    await expect(runCli(['--help'], {}, output)).resolves.toBe(0);
    expect(stdout.join('')).toMatch(/^Usage: nestjs-clamator <command> --key-prefix PREFIX \[options\]\n/);
    expect(stderr).toEqual([]);
  });

  it('names the problem, then shows the usage, on stderr, and exits 2', async () => {
    const { output, stdout, stderr } = collecting();
    await expect(runCli(['replay', '--key-prefix', 'p'], {}, output)).resolves.toBe(2);
    expect(stdout).toEqual([]);
    expect(stderr.join('')).toMatch(/^nestjs-clamator: replay needs a SERVICE \(replay SERVICE\)\n\nUsage: nestjs-clamator /);
  });
});
