import { IsNumber } from 'class-validator';

/** Params of `arith.add`: two finite numbers. */
export class AddDto {
  @IsNumber()
  a!: number;

  @IsNumber()
  b!: number;
}
