import { BadRequestException, Controller, Get, Inject, Query } from '@nestjs/common';
import { ClamatorClient, ClamatorRpcError } from 'nestjs-clamator';

export const ARITH = 'ARITH';

/** The HTTP side: calls the arith service through Redis. */
@Controller()
export class GatewayController {
  constructor(@Inject(ARITH) private readonly arith: ClamatorClient) {}

  @Get('add')
  async add(@Query('a') a: string, @Query('b') b: string): Promise<{ sum: number }> {
    const sum = await this.arith.call<number>('arith', 'add', { a: Number(a), b: Number(b) });
    return { sum };
  }

  @Get('divide')
  async divide(@Query('a') a: string, @Query('b') b: string): Promise<{ quotient: number }> {
    try {
      const quotient = await this.arith.call<number>('arith', 'divide', { a: Number(a), b: Number(b) });
      return { quotient };
    } catch (error) {
      if (error instanceof ClamatorRpcError) throw new BadRequestException(`${error.message} (${error.code})`);
      throw error;
    }
  }
}
