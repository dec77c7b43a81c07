// Starts and stops throwaway redis-server processes for tests. Plain JS so that jest's global
// setup (which is not transformed) can use it too.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import net from 'node:net';

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('data', (data) => {
      buffer += data.toString();
      if (buffer.includes('PONG')) {
        socket.destroy();
        resolve(true);
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(buffer.includes('PONG')));
    socket.write('PING\r\n');
  });
}

/** Spawns `redis-server` on `port` (no persistence) and waits until it answers PING. */
export async function spawnRedis(port, extraArgs = []) {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extraArgs],
    { stdio: 'ignore', detached: false },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await ping(port)) return { child, exited };
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
