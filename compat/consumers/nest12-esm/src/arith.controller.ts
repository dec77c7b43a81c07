import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';

/** The microservice side: clamator methods arith.add and arith.divide. */
@Controller()
export class ArithController {
  @MessagePattern('arith.add')
  add(@Payload() { a, b }: { a: number; b: number }): number {
    return a + b;
  }

  @MessagePattern('arith.divide')
  divide(@Payload() { a, b }: { a: number; b: number }): number {
    if (b === 0) throw new RpcException({ code: -32000, message: 'division by zero', data: { a } });
    return a / b;
  }
}
