import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** Params of the `arith.audit` notification: what happened, and optionally who did it. */
export class AuditDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  action!: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;
}
