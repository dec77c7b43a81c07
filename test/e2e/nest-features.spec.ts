import {
  type CallHandler,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  type INestApplication,
  type INestMicroservice,
  type NestInterceptor,
  type PipeTransform,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Max, MinLength } from 'class-validator';
import { map, type Observable } from 'rxjs';
import { ClamatorClient, ClamatorContext, ClamatorExceptionFilter, ClamatorRpcError, ClamatorServer } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, uniquePrefix, waitFor } from '../utils/redis.js';

class CreateUserDto {
  @IsString()
  @MinLength(3)
  name!: string;

  @IsInt()
  @Max(150)
  age!: number;
}

@Injectable()
class OnlyAdmins implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const params = context.switchToRpc().getData<{ role?: string }>();
    return params.role === 'admin';
  }
}

@Injectable()
class WrapResult implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<ClamatorContext>();
    return next.handle().pipe(map((value) => ({ wrapped: value, method: ctx.getMethod() })));
  }
}

@Injectable()
class UppercaseName implements PipeTransform {
  transform(value: { name: string }) {
    return { ...value, name: value.name.toUpperCase() };
  }
}

const seenNotifications: Array<{ params: unknown; id: unknown; replyTo: unknown }> = [];

@Controller()
class FeaturesController {
  @MessagePattern('users.create')
  create(@Payload() dto: CreateUserDto) {
    return { created: dto.name, isDto: dto instanceof CreateUserDto };
  }

  @MessagePattern({ service: 'users', method: 'context' })
  context(@Payload() _params: unknown, @Ctx() ctx: ClamatorContext) {
    return {
      service: ctx.getService(),
      method: ctx.getMethod(),
      id: ctx.getId(),
      entryId: ctx.getEntryId(),
      deliveryCount: ctx.getDeliveryCount(),
      replyTo: ctx.getReplyTo(),
      consumer: ctx.getConsumer(),
      isNotification: ctx.isNotification(),
    };
  }

  @EventPattern<string>('users.seen')
  seen(@Payload() params: unknown, @Ctx() ctx: ClamatorContext) {
    seenNotifications.push({ params, id: ctx.getId(), replyTo: ctx.getReplyTo() });
  }

  @UseGuards(OnlyAdmins)
  @MessagePattern('users.purge')
  purge(@Payload() _params: unknown) {
    return 'purged';
  }

  @UseInterceptors(WrapResult)
  @MessagePattern('users.wrapped')
  wrapped(@Payload() _params: unknown) {
    return 42;
  }

  @UsePipes(UppercaseName)
  @MessagePattern('users.shout')
  shout(@Payload() params: { name: string }) {
    return params.name;
  }
}

describe('Nest features over clamator', () => {
  const keyPrefix = uniquePrefix('features');
  let app: INestMicroservice;
  let server: ClamatorServer;
  let client: ClamatorClient;

  beforeAll(async () => {
    ({ app, server } = await startMicroservice([FeaturesController], { keyPrefix, redisUrl: redisUrl(), instanceId: 'srv-1' }, (a) => {
      a.useGlobalPipes(new ValidationPipe({ transform: true }));
      a.useGlobalFilters(new ClamatorExceptionFilter());
    }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl(), instanceId: 'cli-1' });
  });

  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('validates DTOs with ValidationPipe and transforms them into class instances', async () => {
    await expect(client.call('users', 'create', { name: 'Ada', age: 36 })).resolves.toEqual({ created: 'Ada', isDto: true });
  });

  it('answers invalid params with -32602 naming each failing field and constraint', async () => {
    const error = (await client.call('users', 'create', { name: 'A', age: 'old' }).catch((e) => e)) as ClamatorRpcError;
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error.code).toBe(-32602);
    expect(error.message).toBe('Invalid params');
    const errors = (error.data as { errors: Array<{ field: string; message: string }> }).errors;
    expect(errors.map((e) => e.field).sort()).toEqual(['age', 'age', 'name']);
    expect(errors.find((e) => e.field === 'name')?.message).toMatch(/longer than or equal to 3/);
  });

  it('gives handlers the message context through @Ctx()', async () => {
    const ctx = await client.call<Record<string, unknown>>('users', 'context', {});
    expect(ctx).toMatchObject({
      service: 'users',
      method: 'context',
      deliveryCount: 1,
      replyTo: `${keyPrefix}:replies:cli-1`,
      consumer: 'users:srv-1',
      isNotification: false,
    });
    expect(typeof ctx.id).toBe('string');
    expect(ctx.entryId).toMatch(/^\d+-\d+$/);
  });

  it('gives notifications a context with null id and reply-to', async () => {
    await client.notify('users', 'seen', { who: 'x' });
    await waitFor(() => seenNotifications.length === 1, 5000, 'notification');
    expect(seenNotifications[0]).toEqual({ params: { who: 'x' }, id: null, replyTo: null });
  });

  it('applies guards: a denied call gets an error reply', async () => {
    await expect(client.call('users', 'purge', { role: 'admin' })).resolves.toBe('purged');
    const denied = (await client.call('users', 'purge', { role: 'guest' }).catch((e) => e)) as ClamatorRpcError;
    expect(denied).toBeInstanceOf(ClamatorRpcError);
    expect(denied.code).toBe(-32000);
    expect(denied.message).toMatch(/Forbidden/);
  });

  it('applies interceptors to the result', async () => {
    await expect(client.call('users', 'wrapped', {})).resolves.toEqual({ wrapped: 42, method: 'wrapped' });
  });

  it('applies handler pipes to the params', async () => {
    await expect(client.call('users', 'shout', { name: 'ada' })).resolves.toBe('ADA');
  });

  it('reports status and exposes the Redis connection', async () => {
    const statuses: string[] = [];
    server.status.subscribe((s) => statuses.push(s)).unsubscribe();
    expect(statuses).toEqual(['connected']);
    expect(await server.unwrap<{ ping(): Promise<string> }>().ping()).toBe('PONG');
    expect(await client.unwrap<{ ping(): Promise<string> }>().ping()).toBe('PONG');
  });
});

describe('hybrid application', () => {
  const keyPrefix = uniquePrefix('hybrid');

  @Controller()
  class HybridController {
    @Get('health')
    health() {
      return { ok: true };
    }

    @MessagePattern('hybrid.ping')
    ping() {
      return 'pong';
    }
  }

  it('serves HTTP and clamator side by side with connectMicroservice', async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [HybridController] }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: ['error'] });
    app.connectMicroservice({ strategy: new ClamatorServer({ keyPrefix, redisUrl: redisUrl() }) });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    try {
      await expect(client.call('hybrid', 'ping', {})).resolves.toBe('pong');
      const response = await fetch(`${await app.getUrl()}/health`);
      expect(await response.json()).toEqual({ ok: true });
    } finally {
      await client.close();
      await app.close();
    }
  });
});
