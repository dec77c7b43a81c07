import { Controller, Module } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { wallClockMs, type EventCount } from './ipc.js';

/** Params of `arith.add`. */
export interface AddParams {
  a: number;
  b: number;
}

/** Events handled by this process since the last reset. */
export const eventCounter: { handled: number; lastHandledAt: number } = { handled: 0, lastHandledAt: 0 };

/** Reads and optionally resets the event counter. */
export function readEventCount(reset: boolean): EventCount {
  const snapshot = { handled: eventCounter.handled, lastHandledAt: eventCounter.lastHandledAt };
  if (reset) {
    eventCounter.handled = 0;
    eventCounter.lastHandledAt = 0;
  }
  return snapshot;
}

/** The trivial service every transport in the bench serves: the same controller for clamator and Nest Redis. */
@Controller()
export class ArithController {
  @MessagePattern('arith.add')
  add(@Payload() params: AddParams): number {
    return params.a + params.b;
  }

  @EventPattern('arith.added')
  added(@Payload() _event: AddParams): void {
    eventCounter.handled += 1;
    eventCounter.lastHandledAt = wallClockMs();
  }
}

/** Module of the bench microservice. */
@Module({ controllers: [ArithController] })
export class BenchModule {}

/**
 * A module serving `<service>.add` (the same as `arith.add`) for each of `services`: the cluster
 * bench spreads services over the masters, so the controllers are made once the names are known.
 */
export function servicesModule(services: readonly string[]): new () => unknown {
  const controllers = services.map((service) => {
    class ServiceAdd {
      add(params: AddParams): number {
        return params.a + params.b;
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(ServiceAdd.prototype, 'add') as PropertyDescriptor;
    Payload()(ServiceAdd.prototype, 'add', 0);
    MessagePattern(`${service}.add`)(ServiceAdd.prototype, 'add', descriptor);
    Controller()(ServiceAdd);
    return ServiceAdd;
  });
  class ServicesModule {}
  Module({ controllers })(ServicesModule);
  return ServicesModule;
}
