/**
 * Reading contracts: each unmappable one fails with a ClamatorCodegenError naming the service,
 * method, class and field, instead of emitting a model that validates differently; and the
 * cases read without a type decorator of their own (design:type, @Type, inheritance).
 */
import { Type } from 'class-transformer';
import { IsArray, IsEmail, IsInt, IsNumber, IsString, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { z } from 'zod';
import { ClamatorCodegenError, ClamatorContractError, defineContract, generateJsonSchemas, generatePython, method } from '../../../lib/index.js';

class Ok {
  @IsString() id!: string;
}

function contractWith(params: Function) {
  return defineContract('shop', { order: method({ params: params as new () => object, result: Ok }) });
}

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the generator to fail');
}

describe('reading contracts for codegen', () => {
  it('names the field and decorator that has no pydantic mapping', async () => {
    class Params {
      @IsString() name!: string;
      @IsEmail() email!: string;
    }
    const error = await failure(() => generatePython(contractWith(Params)));
    expect(error).toBeInstanceOf(ClamatorCodegenError);
    expect(error.message).toMatch(/^Contract "shop", method "order": Params\.email: @IsEmail has no pydantic mapping \(mapped: @IsInt, /);
  });

  it('refuses a conditional decorator it cannot express (@ValidateIf)', async () => {
    class Params {
      @ValidateIf(() => true) @IsString() code!: string;
    }
    expect((await failure(() => generateJsonSchemas(contractWith(Params)))).message).toContain('Params.code: @ValidateIf has no pydantic mapping');
  });

  it('asks for @Type when an array of nested objects does not name its class', async () => {
    class Params {
      @IsArray() @ValidateNested({ each: true }) lines!: Ok[];
    }
    expect((await failure(() => generatePython(contractWith(Params)))).message).toContain('Params.lines: @ValidateNested needs the nested class: add @Type(() => TheClass) from class-transformer (required for arrays)');
  });

  it('refuses an array whose items have no type', async () => {
    class Params {
      @IsArray() tags!: string[];
    }
    expect((await failure(() => generatePython(contractWith(Params)))).message).toContain("Params.tags: the array's items have no type");
  });

  it('refuses a whole-value type decorator on an array field', async () => {
    class Params {
      @IsArray() @IsString() tags!: string[];
    }
    expect((await failure(() => generatePython(contractWith(Params)))).message).toContain('Params.tags: @IsString describes the whole value, but the field is an array');
  });

  it('refuses contradicting type decorators and numeric bounds on strings', async () => {
    class Mixed {
      @IsString() @IsInt() n!: string;
    }
    class Bounded {
      @IsString() @Min(1) s!: string;
    }
    expect((await failure(() => generatePython(contractWith(Mixed)))).message).toContain("Mixed.n: @IsInt contradicts the field's other type decorator (str)");
    expect((await failure(() => generatePython(contractWith(Bounded)))).message).toContain('Bounded.s: a numeric bound (@Min, @Max, @IsPositive, @IsNegative) on a str field');
  });

  it('refuses @IsNumber options pydantic cannot check', async () => {
    class Params {
      @IsNumber({ maxDecimalPlaces: 2 }) @Max(10) price!: number;
    }
    expect((await failure(() => generatePython(contractWith(Params)))).message).toContain('Params.price: @IsNumber cannot be mapped: maxDecimalPlaces has no pydantic float counterpart');
  });

  it('falls back on design:type for a field with bounds only, and refuses a field with no type at all', async () => {
    class Inferred {
      @Min(0) count!: number;
    }
    const [file] = await generatePython(contractWith(Inferred));
    expect(file.contents).toContain('    count: float = Field(..., ge=0)\n');
    class Untyped {
      @Min(0) count!: number | string;
    }
    expect((await failure(() => generatePython(contractWith(Untyped)))).message).toContain('Untyped.count: no type decorator');
  });

  it('refuses two contracts for one service, naming both sources', async () => {
    const sourceOf = (c: { methods: object }) => (Object.keys(c.methods)[0] === 'order' ? 'a.ts' : 'b.ts');
    const other = defineContract('shop', { cancel: method({ params: Ok, result: Ok }) });
    expect((await failure(() => generatePython([contractWith(Ok), other], { sourceOf }))).message).toBe(
      'Two contracts for service "shop" (in a.ts and b.ts); each service generates one file.',
    );
  });

  it('refuses fields that collide as Python attributes', async () => {
    class Params {
      @IsString() userId!: string;
      @IsString() user_id!: string;
    }
    expect((await failure(() => generatePython(contractWith(Params)))).message).toContain('Params fields "userId" and "user_id" both become the Python attribute "user_id"');
  });

  it('refuses zod schemas it cannot map, and objects that are not contracts', async () => {
    const unions = defineContract('shop', { order: method({ params: z.object({ v: z.union([z.string(), z.int()]) }), result: z.object({}) }) });
    expect((await failure(() => generatePython(unions))).message).toMatch(/^Contract "shop", method "order": OrderParams\.v: the schema .* has no pydantic mapping/);
    const loose = defineContract('shop', { order: method({ params: z.looseObject({ v: z.string() }), result: z.object({}) }) });
    expect((await failure(() => generatePython(loose))).message).toContain('OrderParams: must not allow extra keys');
    const dates = defineContract('shop', { order: method({ params: z.object({ at: z.date() }), result: z.object({}) }) });
    expect((await failure(() => generatePython(dates))).message).toContain('zod cannot express OrderParams as JSON Schema');
    const zod3Like = { safeParse: () => ({ success: true as const, data: {} }), _output: {} };
    const old = defineContract('shop', { order: method({ params: zod3Like, result: Ok }) });
    expect((await failure(() => generatePython(old))).message).toContain('code generation needs zod 4 schemas');
    expect(await failure(() => generatePython({ service: 'Bad Name', methods: {} } as never))).toBeInstanceOf(ClamatorContractError);
  });

  it('reads @Type from class-transformer for a single nested object too', async () => {
    class Params {
      @ValidateNested() @Type(() => Ok) item!: Ok | undefined;
    }
    const [file] = await generatePython(contractWith(Params));
    expect(file.contents).toContain('    item: Ok\n');
  });

  it("puts a base class's fields first and merges a subclass's redeclared field", async () => {
    class Base {
      @IsString() id!: string;
      @IsInt() n!: number;
    }
    class Child extends Base {
      @IsInt() @Min(1) override n!: number;
      @IsString() extra!: string;
    }
    const [file] = await generatePython(defineContract('shop', { order: method({ params: Child, result: Base }) }));
    expect(file.contents).toContain('    )\n    id: str\n    n: int = Field(..., ge=1)\n    extra: str\n\n\nclass OrderResult(BaseModel):');
  });
});
