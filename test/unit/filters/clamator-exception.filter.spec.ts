import {
  type ArgumentsHost,
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  ServiceUnavailableException,
  ValidationPipe,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min, ValidateNested, IsEmail } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { ClamatorExceptionFilter, clamatorValidationExceptionFactory } from '../../../lib/filters/clamator-exception.filter.js';
import { ClamatorRpcError, toJsonRpcError } from '../../../lib/protocol/errors.js';

class AddressDto {
  @IsString()
  city!: string;
}

class CreateUserDto {
  @IsString()
  name!: string;

  @IsInt()
  @Min(0)
  age!: number;

  @ValidateNested()
  @Type(() => AddressDto)
  address!: AddressDto;
}

/** The exception a real ValidationPipe throws for `value` as a CreateUserDto payload. */
async function validationFailure(value: unknown): Promise<BadRequestException> {
  try {
    await new ValidationPipe().transform(value, { type: 'body', metatype: CreateUserDto });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return error as BadRequestException;
  }
  throw new Error('ValidationPipe accepted the payload');
}

/** The host Nest passes to a filter; ClamatorExceptionFilter does not read it. */
const rpcHost = { getType: () => 'rpc', getArgs: () => [], getArgByIndex: () => undefined } as unknown as ArgumentsHost;

const toJsonRpc = (exception: unknown) => ClamatorExceptionFilter.toJsonRpcError(exception);

describe('ClamatorExceptionFilter', () => {
  describe('RpcException', () => {
    it('keeps { code, message, data } as it is', () => {
      expect(toJsonRpc(new RpcException({ code: -32010, message: 'Out of stock', data: { sku: 'a-1', left: 0 } }))).toEqual({
        code: -32010,
        message: 'Out of stock',
        data: { sku: 'a-1', left: 0 },
      });
    });

    it('keeps { code, message } with data null', () => {
      expect(toJsonRpc(new RpcException({ code: -32001, message: 'Not yours' }))).toEqual({
        code: -32001,
        message: 'Not yours',
        data: null,
      });
    });

    it('keeps a reserved code given on purpose', () => {
      expect(toJsonRpc(new RpcException({ code: -32602, message: 'Invalid params', data: { field: 'a' } }))).toEqual({
        code: -32602,
        message: 'Invalid params',
        data: { field: 'a' },
      });
    });

    it("turns RpcException('text') into an application error -32000 with that message", () => {
      expect(toJsonRpc(new RpcException('Account locked'))).toEqual({ code: -32000, message: 'Account locked', data: null });
    });

    it('turns an RpcException object without a code into -32000 carrying the object as data', () => {
      expect(toJsonRpc(new RpcException({ reason: 'locked', until: 5 }))).toEqual({
        code: -32000,
        message: expect.any(String),
        data: { reason: 'locked', until: 5 },
      });
    });
  });

  describe('BadRequestException from ValidationPipe', () => {
    it('answers -32602 listing each failing field and why', async () => {
      const exception = await validationFailure({ name: 5, age: -1, address: { city: 3 } });
      const error = toJsonRpc(exception);
      expect(error.code).toBe(-32602);
      expect(error.message).toBe('Invalid params');
      const errors = (error.data as { errors: Array<{ field: string; message: string }> }).errors;
      // One entry per message the pipe produced, in its order and in class-validator's words.
      expect(errors.map((e) => e.message)).toEqual((exception.getResponse() as { message: string[] }).message);
      expect(errors.map((e) => e.field).sort()).toEqual(['address.city', 'age', 'name']);
      expect(errors).toEqual(
        expect.arrayContaining([
          { field: 'name', message: expect.stringMatching(/^name .*string/) },
          { field: 'age', message: expect.stringMatching(/^age .*less than 0/) },
          { field: 'address.city', message: expect.stringMatching(/^address\.city .*string/) },
        ]),
      );
    });

    it('lists every constraint a field breaks', async () => {
      const exception = await validationFailure({ name: 'Ada', age: -1.5, address: { city: 'Paris' } });
      const errors = (toJsonRpc(exception).data as { errors: Array<{ field: string; message: string }> }).errors;
      expect(errors).toHaveLength(2);
      expect(errors.every((e) => e.field === 'age')).toBe(true);
      expect(errors.map((e) => e.message).sort()).toEqual([
        expect.stringMatching(/integer/),
        expect.stringMatching(/less than 0/),
      ]);
    });

    it('lists the missing fields of an empty payload', async () => {
      // @ValidateNested alone does not require the nested object, so only name and age fail.
      const errors = (toJsonRpc(await validationFailure({})).data as { errors: Array<{ field: string }> }).errors;
      expect(new Set(errors.map((e) => e.field))).toEqual(new Set(['name', 'age']));
    });
  });

  describe('other HttpExceptions', () => {
    it('turns NotFoundException into -32000 with data.statusCode 404', () => {
      const error = toJsonRpc(new NotFoundException('No user 42'));
      expect(error).toEqual({
        code: -32000,
        message: 'No user 42',
        data: { statusCode: 404, response: expect.objectContaining({ statusCode: 404, message: 'No user 42' }) },
      });
    });

    it('turns other 4xx exceptions into -32000 with their status', () => {
      expect(toJsonRpc(new ForbiddenException())).toMatchObject({ code: -32000, data: { statusCode: 403 } });
      expect(toJsonRpc(new HttpException({ tea: true }, 418))).toEqual({
        code: -32000,
        message: expect.any(String),
        data: { statusCode: 418, response: { tea: true } },
      });
    });

    it('turns InternalServerErrorException into -32603', () => {
      expect(toJsonRpc(new InternalServerErrorException())).toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'InternalServerErrorException', message: 'Internal Server Error', statusCode: 500 },
      });
    });

    it('turns other 5xx exceptions into -32603 with their status', () => {
      expect(toJsonRpc(new ServiceUnavailableException('maintenance'))).toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'ServiceUnavailableException', message: 'maintenance', statusCode: 503 },
      });
    });
  });

  describe('anything else', () => {
    it('turns a plain Error into -32603 with data { name, message }', () => {
      expect(toJsonRpc(new Error('db down'))).toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'Error', message: 'db down' },
      });
      expect(toJsonRpc(new RangeError('too far'))).toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'RangeError', message: 'too far' },
      });
    });

    it('keeps a ClamatorRpcError as it is', () => {
      expect(toJsonRpc(new ClamatorRpcError(-32042, 'Quota exceeded', { limit: 3 }))).toEqual({
        code: -32042,
        message: 'Quota exceeded',
        data: { limit: 3 },
      });
    });

    it('turns a thrown non-error into -32603', () => {
      expect(toJsonRpc('oops')).toEqual({ code: -32603, message: 'Internal error', data: { name: 'string', message: 'oops' } });
    });
  });

  it('catch() errors its observable with the JSON-RPC error', async () => {
    const filter = new ClamatorExceptionFilter();
    await expect(firstValueFrom(filter.catch(new NotFoundException('No user 42'), rpcHost))).rejects.toEqual(
      toJsonRpc(new NotFoundException('No user 42')),
    );
    await expect(firstValueFrom(filter.catch(new RpcException({ code: -32009, message: 'x' }), rpcHost))).rejects.toEqual({
      code: -32009,
      message: 'x',
      data: null,
    });
  });

  it('produces errors the server sends on unchanged', async () => {
    const exceptions: unknown[] = [
      new RpcException({ code: -32010, message: 'Out of stock', data: { sku: 'a' } }),
      new RpcException('text'),
      await validationFailure({ name: 5 }),
      new NotFoundException(),
      new InternalServerErrorException(),
      new Error('boom'),
      new ClamatorRpcError(-32001, 'app', null),
    ];
    for (const exception of exceptions) {
      const filtered = toJsonRpc(exception);
      expect(toJsonRpcError(filtered)).toEqual(filtered);
      expect(Number.isInteger(filtered.code)).toBe(true);
      expect(filtered.data).not.toBeUndefined();
    }
  });
});

describe('field names read from validation messages', () => {
  const fieldsOf = (messages: string[]) =>
    ((toJsonRpc(new BadRequestException(messages)).data as { errors: Array<{ field: string }> }).errors).map((e) => e.field);

  it('reads the property of class-validator prefixes, and none from custom messages', () => {
    expect(
      fieldsOf([
        'each value in tags must be a string',
        'nested property address must be either object or array',
        'property extra should not exist',
        'address.city must be a string',
        'Please give a valid e-mail',
        'Validation failed (numeric string is expected)',
      ]),
    ).toEqual(['tags', 'address', 'extra', 'address.city', '', '']);
  });
});

class ContactDto {
  @IsEmail({}, { message: 'Please give a valid e-mail' })
  email!: string;

  @ValidateNested()
  @Type(() => AddressDto)
  address!: AddressDto;
}

describe('clamatorValidationExceptionFactory', () => {
  it('keeps the structure: dotted paths, constraint names and custom messages', async () => {
    const pipe = new ValidationPipe({ exceptionFactory: clamatorValidationExceptionFactory });
    const error = await pipe
      .transform({ email: 'nope', address: { city: 3 } }, { type: 'body', metatype: ContactDto })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(toJsonRpc(error)).toEqual({
      code: -32602,
      message: 'Invalid params',
      data: {
        errors: [
          { field: 'email', constraint: 'isEmail', message: 'Please give a valid e-mail' },
          { field: 'address.city', constraint: 'isString', message: 'city must be a string' },
        ],
      },
    });
  });
});
