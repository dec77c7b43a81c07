import { IsInt, Max, Min } from 'class-validator';

/** Params of `arith.slow`: how long to wait before answering, in milliseconds. */
export class SlowDto {
  @IsInt()
  @Min(0)
  @Max(60_000)
  ms!: number;
}
