import type { ChildProcess } from 'node:child_process';
export function freePort(): Promise<number>;
export function spawnRedis(port: number, extraArgs?: string[]): Promise<{ child: ChildProcess; exited: Promise<unknown> }>;
