/**
 * Compile-time checks of the contract types, part of `npm run typecheck` (and the Nest 11 one):
 * each `@ts-expect-error` marks a line that must not compile, and an expectation that stops
 * holding fails the typecheck (TS2578, unused directive). Never run, only compiled.
 */
import { IsInt, IsString } from 'class-validator';
import { z } from 'zod';
import { z as z3 } from 'zod/v3';
import {
  type ClamatorClient,
  type ClamatorContext,
  type ContractHandlers,
  defineContract,
  method,
  notification,
} from '../../lib/index.js';
import { zodContract, zodMethod, zodNotification } from '../utils/clamator-zod-contract.js';

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

class NoParams {}
class OptionalParams {
  @IsString() who?: string;
}

const arith = defineContract('arith', {
  add: method({ params: AddParams, result: AddResult }),
  audit: notification({ params: AuditParams }),
});

const optional = defineContract('optional', {
  list: method({ params: NoParams, result: AddResult }),
  hint: notification({ params: OptionalParams }),
});

export async function optionalParamsTypes(): Promise<void> {
  const typed = client.for(optional);
  // Params whose fields are all optional may be left out.
  await typed.list();
  await typed.list({}, { timeoutMs: 100 });
  await typed.hint();
  await typed.hint({ who: 'me' });
  // @ts-expect-error params with required fields may not be left out
  await client.for(arith).add();
  // @ts-expect-error nor may those of a notification
  await client.for(arith).audit();
}

declare const client: ClamatorClient;

export async function callerTypes(): Promise<void> {
  const arithClient = client.for(arith);
  const { sum } = await arithClient.add({ a: 1, b: 2 }, { timeoutMs: 500, metadata: { tenant: 't' } });
  const total: number = sum;
  const queued: void = await arithClient.audit({ who: 'me' });

  // @ts-expect-error a param of the wrong type
  await arithClient.add({ a: '1', b: 2 });
  // @ts-expect-error a missing param
  await arithClient.add({ a: 1 });
  // @ts-expect-error the result is AddResult, not a string
  const wrong: string = await arithClient.add({ a: 1, b: 2 });
  // @ts-expect-error a method the contract does not have
  await arithClient.subtract({ a: 1, b: 2 });
  // @ts-expect-error notifications take no call options of another kind
  await arithClient.audit({ who: 'me' }, { timeoutMs: '5' });
  void [total, queued, wrong];
}

export class GoodHandlers implements ContractHandlers<typeof arith> {
  add({ a, b }: AddParams, _ctx: ClamatorContext): Promise<AddResult> {
    return Promise.resolve({ sum: a + b });
  }

  audit(_params: AuditParams): void {}
}

export class WrongReturn implements ContractHandlers<typeof arith> {
  // @ts-expect-error the handler must return AddResult (or a promise or observable of it)
  add({ a, b }: AddParams): { total: number } {
    return { total: a + b };
  }

  audit(_params: AuditParams): void {}
}

export class WrongParams implements ContractHandlers<typeof arith> {
  // @ts-expect-error the handler's params must accept AddParams
  add(params: { a: string; b: number }): AddResult {
    return { sum: params.b };
  }

  audit(_params: AuditParams): void {}
}

// @ts-expect-error a contract method without its handler
export class MissingHandler implements ContractHandlers<typeof arith> {
  add({ a, b }: AddParams): AddResult {
    return { sum: a + b };
  }
}

const zodArith = zodContract('zarith', {
  add: zodMethod({ params: z.object({ a: z.number(), b: z.number().default(1) }), result: z.object({ sum: z.number() }) }),
  ping: zodNotification({ params: z.object({ tag: z.string() }) }),
});
const zod3Arith = zodContract('zarith', {
  add: zodMethod({ params: z3.object({ a: z3.number(), b: z3.number().default(1) }), result: z3.object({ sum: z3.number() }) }),
  ping: zodNotification({ params: z3.object({ tag: z3.string() }) }),
});

export async function zodCallerTypes(): Promise<void> {
  for (const contract of [zodArith, zod3Arith] as const) {
    const typed = client.for(contract);
    // A param with a default may be left out by the caller.
    const { sum }: { sum: number } = await typed.add({ a: 1 });
    await typed.ping({ tag: 't' });
    // @ts-expect-error a param of the wrong type
    await typed.add({ a: 'one' });
    // @ts-expect-error the result's sum is a number
    const text: string = (await typed.add({ a: 1 })).sum;
    void [sum, text];
  }
}

export class ZodHandlers implements ContractHandlers<typeof zodArith> {
  // The handler gets zod's output: the default is filled in.
  add({ a, b }: { a: number; b: number }) {
    return { sum: a + b };
  }

  ping(_params: { tag: string }): void {}
}

export class ZodWrongReturn implements ContractHandlers<typeof zod3Arith> {
  // @ts-expect-error the handler must return { sum: number }
  add({ a }: { a: number; b: number }) {
    return { sum: String(a) };
  }

  ping(_params: { tag: string }): void {}
}
