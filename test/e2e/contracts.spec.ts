/**
 * Contracts end to end on real Redis: a class-validator contract served with @ClamatorService and
 * called through client.for, raw Python-style entries with bad params, a raw peer answering a bad
 * result, a missing implementation, and Nest's guards, interceptors and pipes on a contract class.
 */
import {
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type INestMicroservice,
  type NestInterceptor,
  type PipeTransform,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsInt, IsString, MinLength, ValidateNested } from 'class-validator';
import type { Redis } from 'ioredis';
import { map, type Observable, of } from 'rxjs';
import {
  ClamatorClient,
  ClamatorContext,
  ClamatorRpcError,
  ClamatorService,
  type ContractHandlers,
  defineContract,
  method,
  notification,
} from '../../lib/index.js';
import { createMicroservice, startMicroservice } from '../utils/nest-apps.js';
import { pythonJson, RawPeerServer, readEntries } from '../utils/raw-peer.js';
import { deleteKeys, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

class AddParams {
  @IsInt() a!: number;
  @IsInt() b!: number;
}
class AddResult {
  @IsInt() sum!: number;
}
class AuditParams {
  @IsString() who!: string;
}
class Address {
  @IsString() @MinLength(2) city!: string;
}
class Person {
  @IsString() name!: string;
  @ValidateNested() @Type(() => Address) address!: Address;
}
class Greeting {
  @IsString() text!: string;
}

const arith = defineContract('arith', {
  add: method({ params: AddParams, result: AddResult }),
  audit: notification({ params: AuditParams }),
  greet: method({ params: Person, result: Greeting }),
  whoami: method({ params: AuditParams, result: Greeting }),
  slowAdd: method({ params: AddParams, result: AddResult }),
});

type Error32602 = { errors: Array<{ field: string; message: string; constraint: string }> };

const audits: unknown[] = [];
const seenParams: unknown[] = [];

@ClamatorService(arith)
class ArithController implements ContractHandlers<typeof arith> {
  add(params: AddParams): AddResult {
    seenParams.push(params);
    return { sum: params.a + params.b };
  }

  audit(params: AuditParams): void {
    audits.push(params);
  }

  async greet(person: Person): Promise<Greeting> {
    return { text: `${person.name} of ${person.address.city} (${person.address instanceof Address ? 'Address' : 'plain'})` };
  }

  whoami(params: AuditParams, @Ctx() ctx: ClamatorContext): Greeting {
    return { text: `${params.who} via ${ctx.getService()}.${ctx.getMethod()}` };
  }

  slowAdd({ a, b }: AddParams): Observable<AddResult> {
    return of({ sum: a + b });
  }
}

describe('@ClamatorService and client.for', () => {
  const keyPrefix = uniquePrefix('contracts');
  const connections = new TestConnections();
  let redis: Redis;
  let app: INestMicroservice;
  let client: ClamatorClient;

  beforeAll(async () => {
    redis = connections.open();
    ({ app } = await startMicroservice([ArithController], { keyPrefix, redisUrl: redisUrl(), instanceId: 'srv' }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl(), instanceId: 'cli' });
  });

  afterAll(async () => {
    await client.close();
    await app.close();
    await deleteKeys(redis, keyPrefix);
    await connections.closeAll();
  });

  it('serves each contract method and resolves with an instance of the result class', async () => {
    const arithClient = client.for(arith);
    const result = await arithClient.add({ a: 1, b: 2 }, { timeoutMs: 2000 });
    expect(result).toEqual({ sum: 3 });
    expect(result).toBeInstanceOf(AddResult);
    expect(seenParams.at(-1)).toBeInstanceOf(AddParams);
  });

  it('delivers notifications to the contract handler', async () => {
    await client.for(arith).audit({ who: 'me' });
    await waitFor(() => audits.length === 1, 5000, 'the audit notification');
    expect(audits[0]).toEqual({ who: 'me' });
    expect(audits[0]).toBeInstanceOf(AuditParams);
  });

  it('turns nested params into instances of their classes', async () => {
    await expect(client.for(arith).greet({ name: 'Ada', address: { city: 'London' } })).resolves.toEqual({ text: 'Ada of London (Address)' });
  });

  it('passes the ClamatorContext as second parameter and settles on observables', async () => {
    await expect(client.for(arith).whoami({ who: 'me' })).resolves.toEqual({ text: 'me via arith.whoami' });
    await expect(client.for(arith).slowAdd({ a: 2, b: 5 })).resolves.toEqual({ sum: 7 });
  });

  it('refuses bad params written straight to the command stream with -32602 naming each field', async () => {
    const replyTo = `${keyPrefix}:replies:raw-python`;
    const requests: Array<[string, unknown]> = [
      ['bad-types', { a: 'one', b: 1.5 }],
      ['unknown-field', { a: 1, b: 2, c: 3 }],
      ['missing', undefined],
      ['nested', { name: 'Ada', address: { city: 'L' } }],
    ];
    for (const [id, params] of requests) {
      const method = id === 'nested' ? 'arith.greet' : 'arith.add';
      const envelope = pythonJson({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }), id });
      await redis.xadd(`${keyPrefix}:cmds:arith`, '*', 'type', 'rpc', 'envelope', envelope, 'reply-to', replyTo);
    }
    const blocking = connections.open();
    const replies = await readEntries(blocking, replyTo, requests.length);
    const byId = new Map(
      replies.map((entry) => {
        const reply = JSON.parse(entry.fields[entry.fields.indexOf('envelope') + 1]) as { id: string; error: { code: number; data: Error32602 } };
        return [reply.id, reply.error];
      }),
    );
    const fields = (id: string) => byId.get(id)!.data.errors.map((e) => e.field).sort();
    for (const [id] of requests) expect(byId.get(id)?.code).toBe(-32602);
    expect(fields('bad-types')).toEqual(['a', 'b']);
    expect(byId.get('unknown-field')!.data.errors).toEqual([
      { field: 'c', message: 'property c should not exist', constraint: 'whitelistValidation' },
    ]);
    expect(fields('missing')).toEqual(['a', 'b']);
    expect(byId.get('nested')!.data.errors).toEqual([
      { field: 'address.city', message: 'city must be longer than or equal to 2 characters', constraint: 'minLength' },
    ]);
    expect(seenParams).toHaveLength(1);
  });

  it('refuses invalid params at the client with -32602 and sends nothing', async () => {
    const stream = `${keyPrefix}:cmds:arith`;
    const before = await redis.xlen(stream);
    const call = client.for(arith).add({ a: 1, b: 'two' } as unknown as AddParams);
    const error = (await call.catch((e: unknown) => e)) as ClamatorRpcError;
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error.code).toBe(-32602);
    expect((error.data as Error32602).errors.map((e) => e.field)).toEqual(['b']);
    const notified = await client.for(arith).audit({ who: 7 } as unknown as AuditParams).catch((e: ClamatorRpcError) => e.code);
    expect(notified).toBe(-32602);
    expect(await redis.xlen(stream)).toBe(before);
  });
});

describe('a reply that breaks the contract', () => {
  const keyPrefix = uniquePrefix('contracts-reply');
  const connections = new TestConnections();
  const ledger = defineContract('ledger', {
    balance: method({ params: AuditParams, result: AddResult }),
  });
  let peer: RawPeerServer;
  let client: ClamatorClient;

  beforeAll(async () => {
    peer = new RawPeerServer(connections.open(), connections.open(), keyPrefix, 'ledger');
    await peer.createGroup();
    peer.serve((request) => {
      const who = (request.envelope.params as { who: string }).who;
      if (who === 'good') return { result: { sum: 10, extra: 'dropped' } };
      if (who === 'scalar') return { result: 42 };
      return { result: { sum: 'ten' } };
    });
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
  });

  afterAll(async () => {
    await client.close();
    await peer.stop();
    await deleteKeys(connections.open(), keyPrefix);
    await connections.closeAll();
  });

  it('resolves with the result instance, dropping fields the contract does not declare', async () => {
    const result = await client.for(ledger).balance({ who: 'good' });
    expect(result).toBeInstanceOf(AddResult);
    expect({ ...result }).toEqual({ sum: 10 });
  });

  it('rejects a result that does not match with -32603 and a reason', async () => {
    for (const who of ['bad', 'scalar']) {
      const error = (await client.for(ledger).balance({ who }).catch((e: unknown) => e)) as ClamatorRpcError;
      expect(error).toBeInstanceOf(ClamatorRpcError);
      expect(error.code).toBe(-32603);
      const data = error.data as { reason: string; errors: Array<{ field: string }> };
      expect(data.reason).toBe("the result of ledger.balance does not match the contract's result (AddResult)");
      expect(data.errors.map((e) => e.field)).toEqual([who === 'bad' ? 'sum' : '']);
    }
  });
});

describe('a contract class missing a method', () => {
  it('makes listen() fail naming the method', async () => {
    const small = defineContract('small', {
      add: method({ params: AddParams, result: AddResult }),
      audit: notification({ params: AuditParams }),
      subtract: method({ params: AddParams, result: AddResult }),
    });
    @ClamatorService(small)
    class HalfDone {
      add({ a, b }: AddParams): AddResult {
        return { sum: a + b };
      }
    }
    const { app } = await createMicroservice([HalfDone], { keyPrefix: uniquePrefix('contracts-missing'), redisUrl: redisUrl() });
    try {
      await expect(app.listen()).rejects.toThrow(
        /do not implement these contract methods: small\.audit \(HalfDone\.audit\), small\.subtract \(HalfDone\.subtract\)/,
      );
    } finally {
      await app.close();
    }
  });
});

@Injectable()
class OnlyAdmins implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToRpc().getData<{ who?: string }>().who === 'admin';
  }
}

@Injectable()
class Envelope implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<ClamatorContext>();
    return next.handle().pipe(map((value: Greeting) => ({ text: `[${ctx.getMethod()}] ${value.text}` })));
  }
}

/** Runs before the contract's check: its output is what gets checked. */
@Injectable()
class TrimWho implements PipeTransform {
  transform(value: { who?: unknown }) {
    return typeof value.who === 'string' ? { ...value, who: value.who.trim() } : value;
  }
}

const guarded = defineContract('guarded', {
  purge: method({ params: AuditParams, result: Greeting }),
  hello: method({ params: AuditParams, result: Greeting }),
});

@ClamatorService(guarded)
@UseInterceptors(Envelope)
class GuardedController implements ContractHandlers<typeof guarded> {
  @UseGuards(OnlyAdmins)
  purge(params: AuditParams, @Ctx() ctx: ClamatorContext): Greeting {
    return { text: `purged by ${params.who} (${ctx.isNotification() ? 'notification' : 'request'})` };
  }

  @UsePipes(TrimWho)
  hello(params: AuditParams): Greeting {
    return { text: `hello <${params.who}>` };
  }
}

describe('Nest enhancers on a @ClamatorService class', () => {
  const keyPrefix = uniquePrefix('contracts-enhancers');
  let app: INestMicroservice;
  let client: ClamatorClient;

  beforeAll(async () => {
    ({ app } = await startMicroservice([GuardedController], { keyPrefix, redisUrl: redisUrl() }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
  });

  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('applies guards, and class interceptors to the result', async () => {
    await expect(client.for(guarded).purge({ who: 'admin' })).resolves.toEqual({ text: '[purge] purged by admin (request)' });
    const denied = (await client.for(guarded).purge({ who: 'guest' }).catch((e: unknown) => e)) as ClamatorRpcError;
    expect(denied).toBeInstanceOf(ClamatorRpcError);
    // No exception filter here: Nest's default one words the refusal, which the transport sends as -32603.
    expect(denied.code).toBe(-32603);
    expect(denied.data).toEqual({ name: 'Error', message: 'Forbidden resource' });
  });

  it('runs handler pipes before the contract check', async () => {
    await expect(client.for(guarded).hello({ who: '  ada  ' })).resolves.toEqual({ text: '[hello] hello <ada>' });
    const error = (await client.call('guarded', 'hello', { who: 1 }).catch((e: unknown) => e)) as ClamatorRpcError;
    expect(error.code).toBe(-32602);
  });
});
