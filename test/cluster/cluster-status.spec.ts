/**
 * `status` and `on()` follow an injected ioredis `Cluster` as they follow an injected `Redis`: when
 * every node of the cluster goes away the server and the client say `reconnecting`, and once the
 * cluster is back and serving they say `connected` again and calls go through, without a restart.
 */
import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Cluster } from 'ioredis';
import { ClamatorClient, type ClamatorStatus } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { RedisClusterProcess } from '../utils/redis-cluster.js';
import { waitFor } from '../utils/redis.js';
import { describeCluster } from './cluster-helpers.js';

@Controller()
class EchoController {
  @MessagePattern('echo.say')
  say(@Payload() { text }: { text: string }) {
    return text;
  }
}

describeCluster('status of an injected Redis Cluster', () => {
  let cluster: RedisClusterProcess | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;
  const connections: Cluster[] = [];

  afterEach(async () => {
    try {
      await client?.close();
      await app?.close();
      for (const connection of connections.splice(0)) connection.disconnect();
    } finally {
      await cluster?.stop();
      cluster = app = client = undefined;
    }
  }, 60_000);

  /** A cluster connection as an application makes it: ioredis's defaults. */
  const open = (nodes: Array<{ host: string; port: number }>): Cluster => {
    const connection = new Cluster(nodes);
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  };

  it('goes reconnecting when every node is gone and connected when the cluster serves again, on server and client, and calls go through again', async () => {
    cluster = await RedisClusterProcess.start();
    const keyPrefix = `status-${Date.now()}`;
    const started = await startMicroservice([EchoController], { keyPrefix, redis: open(cluster.startupNodes) });
    app = started.app;
    client = new ClamatorClient({ keyPrefix, redis: open(cluster.startupNodes) });
    const statuses = { server: [] as ClamatorStatus[], client: [] as ClamatorStatus[] };
    started.server.status.subscribe((status) => statuses.server.push(status));
    client.status.subscribe((status) => statuses.client.push(status));
    await expect(client.call('echo', 'say', { text: 'before' })).resolves.toBe('before');

    for (const node of cluster.nodes) cluster.kill(node);
    await waitFor(() => statuses.server.includes('reconnecting') && statuses.client.includes('reconnecting'), 20_000, 'reconnecting on server and client');

    await Promise.all(cluster.nodes.map((node) => cluster!.restart(node, 45_000)));
    await waitFor(() => statuses.server.at(-1) === 'connected' && statuses.client.at(-1) === 'connected', 30_000, 'connected again on server and client');
    await expect(client.call('echo', 'say', { text: 'after' }, { timeoutMs: 20_000 })).resolves.toBe('after');
    expect(statuses.server.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);
    expect(statuses.client.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);
  }, 120_000);
});
