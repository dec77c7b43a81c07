import { IsInt } from 'class-validator';
import { z } from 'zod';
import {
  assertContract,
  ClamatorContractError,
  defineContract,
  isNotificationEntry,
  isZodSchema,
  method,
  notification,
} from '../../../lib/index.js';

class Params {
  @IsInt() a!: number;
}
class Result {
  @IsInt() sum!: number;
}

describe('defineContract', () => {
  it('returns the contract in clamator\'s shape, frozen', () => {
    const contract = defineContract('arith', {
      add: method({ params: Params, result: Result }),
      audit: notification({ params: Params }),
    });
    expect(contract).toEqual({
      service: 'arith',
      methods: { add: { params: Params, result: Result }, audit: { params: Params, notification: true } },
    });
    expect(Object.isFrozen(contract)).toBe(true);
    expect(Object.isFrozen(contract.methods)).toBe(true);
    expect(isNotificationEntry(contract.methods.audit)).toBe(true);
    expect(isNotificationEntry(contract.methods.add)).toBe(false);
  });

  it.each([
    ['Arith', /service name "Arith" must be a string matching/],
    ['1arith', /service name "1arith"/],
    ['ar_ith', /service name "ar_ith"/],
    ['', /service name ""/],
  ])('refuses the service name %j', (service, message) => {
    expect(() => defineContract(service, {})).toThrow(ClamatorContractError);
    expect(() => defineContract(service, {})).toThrow(message);
  });

  it.each(['Add', 'add-one', 'add_one', '1add', 'add.one'])('refuses the method name %j, naming it', (name) => {
    const define = () => defineContract('arith', { [name]: method({ params: Params, result: Result }) });
    expect(define).toThrow(new ClamatorContractError(`Contract "arith", method "${name}": the name must match /^[a-z][a-zA-Z0-9]*$/.`));
  });

  it('accepts the names PROTOCOL.md allows', () => {
    expect(() => defineContract('order-2', { addOne: method({ params: Params, result: Result }), x9: notification({ params: Params }) })).not.toThrow();
  });

  it('refuses a method without a result, naming it', () => {
    const entry = { params: Params } as unknown as ReturnType<typeof method>;
    expect(() => defineContract('arith', { add: entry })).toThrow(
      'Contract "arith", method "add": a method needs a result; use notification() for one that has none.',
    );
  });

  it('refuses a notification with a result, naming it', () => {
    const entry = { params: Params, result: Result, notification: true } as unknown as ReturnType<typeof notification>;
    expect(() => defineContract('arith', { audit: entry })).toThrow(
      'Contract "arith", method "audit": a notification has no result; remove it or use method().',
    );
  });

  it('refuses params or results that are neither a class nor a zod schema', () => {
    const bad = { params: { a: 'number' }, result: Result } as unknown as ReturnType<typeof method>;
    expect(() => defineContract('arith', { add: bad })).toThrow('Contract "arith", method "add": params must be a class or a zod schema, got object.');
    const badResult = { params: Params, result: 'Result' } as unknown as ReturnType<typeof method>;
    expect(() => defineContract('arith', { add: badResult })).toThrow('result must be a class or a zod schema, got string.');
  });
});

describe('assertContract', () => {
  it("accepts clamator's own zod contracts as they are, notification: false included", () => {
    const contract = {
      service: 'arith',
      methods: {
        add: { params: z.object({ a: z.number() }), result: z.object({ sum: z.number() }), notification: false },
        ping: { params: z.object({}), notification: true },
      },
    };
    expect(() => assertContract(contract)).not.toThrow();
    expect(isZodSchema(contract.methods.add.params)).toBe(true);
    expect(isZodSchema(Params)).toBe(false);
  });

  it('refuses what is not a contract', () => {
    expect(() => assertContract(null)).toThrow('A contract must be an object { service, methods }, got null.');
    expect(() => assertContract({ service: 'arith' })).toThrow('Contract "arith" has no methods object.');
    expect(() => assertContract({ service: 'arith', methods: { add: 3 } })).toThrow(
      'Contract "arith", method "add": the entry must be method({ params, result }) or notification({ params }).',
    );
  });
});
