import { Payload } from '@nestjs/microservices';
import type { PipeTransform } from '@nestjs/common';
import { IsInt } from 'class-validator';
import {
  CLAMATOR_TRANSPORT,
  ClamatorContractError,
  ClamatorRpcError,
  ClamatorService,
  defineContract,
  method,
  notification,
} from '../../../lib/index.js';
import { ContractParamsPipe } from '../../../lib/contracts/contract-params.pipe.js';
import { UNIMPLEMENTED_CONTRACT_METHOD } from '../../../lib/contracts/clamator-service.decorator.js';

// Nest's metadata keys (the same in Nest 11 and 12).
const PATTERN = 'microservices:pattern';
const HANDLER_TYPE = 'microservices:handler_type';
const TRANSPORT = 'microservices:transport';
const EXTRAS = 'microservices:pattern_extras';
const ROUTE_ARGS = '__routeArguments__';
const PAYLOAD = 3;
const CONTEXT = 6;

class Params {
  @IsInt() a!: number;
}
class Result {
  @IsInt() sum!: number;
}

const arith = defineContract('arith', {
  add: method({ params: Params, result: Result }),
  audit: notification({ params: Params }),
});

type RouteArgs = Record<string, { index: number; pipes: unknown[] }>;

class Noop implements PipeTransform {
  transform(value: unknown) {
    return value;
  }
}

describe('@ClamatorService', () => {
  it('serves methods as message patterns and notifications as event patterns, on clamator transports only', () => {
    @ClamatorService(arith)
    class Arith {
      add(params: Params): Result {
        return { sum: params.a };
      }
      audit(): void {}
    }
    const { add, audit } = Arith.prototype;
    expect(Reflect.getMetadata(PATTERN, add)).toEqual(['arith.add']);
    expect(Reflect.getMetadata(PATTERN, audit)).toEqual(['arith.audit']);
    expect(Reflect.getMetadata(HANDLER_TYPE, add)).toBe(1);
    expect(Reflect.getMetadata(HANDLER_TYPE, audit)).toBe(2);
    expect(Reflect.getMetadata(TRANSPORT, add)).toBe(CLAMATOR_TRANSPORT);
    expect(Reflect.getMetadata('__controller__', Arith)).toBe(true);
  });

  it('puts the params pipe on the first parameter and the context on the second', () => {
    @ClamatorService(arith)
    class Arith {
      add(params: Params): Result {
        return { sum: params.a };
      }
      audit(): void {}
    }
    const args = Reflect.getMetadata(ROUTE_ARGS, Arith, 'add') as RouteArgs;
    expect(Object.keys(args).sort()).toEqual([`${PAYLOAD}:0`, `${CONTEXT}:1`]);
    const [pipe] = args[`${PAYLOAD}:0`].pipes as ContractParamsPipe[];
    expect(pipe).toBeInstanceOf(ContractParamsPipe);
    expect(pipe.route).toBe('arith.add');
  });

  it("adds the params pipe after an existing @Payload()'s own pipes", () => {
    const noop = new Noop();
    @ClamatorService(arith)
    class Arith {
      add(@Payload(noop) params: Params): Result {
        return { sum: params.a };
      }
      audit(): void {}
    }
    const pipes = (Reflect.getMetadata(ROUTE_ARGS, Arith, 'add') as RouteArgs)[`${PAYLOAD}:0`].pipes;
    expect(pipes).toHaveLength(2);
    expect(pipes[0]).toBe(noop);
    expect(pipes[1]).toBeInstanceOf(ContractParamsPipe);
  });

  it('refuses a handler whose first parameter takes something else than the params', () => {
    expect(() => {
      @ClamatorService(arith)
      class Arith {
        add(@Payload('a') a: number): Result {
          return { sum: a };
        }
        audit(): void {}
      }
      return Arith;
    }).toThrow(new ClamatorContractError(
      '@ClamatorService: Arith.add serves arith.add, whose params come as the first parameter; it has another decorator there ' +
        '(use @Payload() without a property, or none, and @Ctx() as the second parameter).',
    ));
  });

  it('puts a stand-in for a missing method, marked for listen() and answering -32601 if called', () => {
    @ClamatorService(arith)
    class Half {
      add(params: Params): Result {
        return { sum: params.a };
      }
    }
    const standIn = (Half.prototype as unknown as { audit: () => void }).audit;
    expect(Reflect.getMetadata(EXTRAS, standIn)).toEqual({ [UNIMPLEMENTED_CONTRACT_METHOD]: 'Half' });
    expect(Reflect.getMetadata(EXTRAS, Half.prototype.add)).toEqual({});
    expect(() => standIn()).toThrow(ClamatorRpcError);
  });

  it('refuses a contract that breaks the naming rules when decorating', () => {
    expect(() => ClamatorService({ service: 'Arith', methods: {} })).toThrow(ClamatorContractError);
  });
});

describe('ContractParamsPipe', () => {
  it('answers params that do not fit with -32602 and data.errors', async () => {
    const pipe = new ContractParamsPipe('arith.add', Params);
    await expect(pipe.transform({ a: 1 })).resolves.toBeInstanceOf(Params);
    const error = (await Promise.resolve(pipe.transform({ a: 'x' })).catch((e: unknown) => e)) as ClamatorRpcError;
    expect(error.toJSON()).toEqual({
      code: -32602,
      message: 'Invalid params',
      data: { errors: [{ field: 'a', message: 'a must be an integer number', constraint: 'isInt' }] },
    });
  });
});
