import { IsNumber } from 'class-validator';

/** Params of `arith.divide`: the dividend `a` and the divisor `b`. */
export class DivideDto {
  @IsNumber()
  a!: number;

  @IsNumber()
  b!: number;
}
