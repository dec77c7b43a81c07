import { ClamatorClient, ClamatorOptionsError, ClamatorServer, ClamatorStreamsService } from '../../../lib/index.js';

const nodes = [{ host: '127.0.0.1', port: 7000 }];

describe('the cluster option', () => {
  const owners = {
    ClamatorServer: (options: object) => new ClamatorServer(options as never),
    ClamatorClient: (options: object) => new ClamatorClient(options as never),
    ClamatorStreamsService: (options: object) => new ClamatorStreamsService(options as never),
  };

  for (const [owner, configure] of Object.entries(owners)) {
    it(`${owner}: refuses redis, redisUrl or redisOptions beside it, naming the option`, () => {
      for (const [option, value] of [['redisUrl', 'redis://127.0.0.1:7000'], ['redisOptions', {}]] as const) {
        expect(() => configure({ keyPrefix: 'app', cluster: { nodes }, [option]: value })).toThrow(
          expect.objectContaining({ name: 'ClamatorOptionsError', option, message: expect.stringContaining('cannot be combined with "cluster"') }),
        );
      }
    });

    it(`${owner}: refuses a cluster without startup nodes, and one that is not an object`, () => {
      expect(() => configure({ keyPrefix: 'app', cluster: { nodes: [] } })).toThrow(ClamatorOptionsError);
      expect(() => configure({ keyPrefix: 'app', cluster: { nodes: [] } })).toThrow(/"cluster.nodes" must be a non-empty array/);
      expect(() => configure({ keyPrefix: 'app', cluster: 'redis://x' })).toThrow(/"cluster" must be an object/);
    });

    it(`${owner}: ignores $REDIS_URL when a cluster is given (nothing is opened at construction)`, () => {
      const previous = process.env.REDIS_URL;
      process.env.REDIS_URL = 'not a url';
      try {
        expect(() => configure({ keyPrefix: 'app', cluster: { nodes } })).not.toThrow();
      } finally {
        process.env.REDIS_URL = previous;
      }
    });
  }
});
