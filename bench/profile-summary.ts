/**
 * Summarizes .cpuprofile files (from `npm run bench -- --cpu-prof`): top functions by self time,
 * and self time per area (lib/, ioredis, Nest, rxjs, Node internals, GC, idle).
 *
 *   node --import ./scripts/register-ts.mjs bench/profile-summary.ts [--top 25] [--from 3] bench/results/<file>.cpuprofile ...
 *
 * `--from S` ignores the first S seconds of each profile (process start-up and module loading).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the stack a frame belongs to. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') return functionName;
    return '(native)';
  }
  if (url.startsWith('node:')) return 'node internals';
  const modules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (modules) return modules[1];
  const local = /\/work\/[^/]+\/([^/]+)\//.exec(url) ?? /file:\/\/.*?\/(lib|bench|test)\//.exec(url);
  return local ? `${local[1]}/` : url;
}

function shortUrl(url: string): string {
  if (!url) return '';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const local = /\/(lib|bench|test)\/.*$/.exec(url);
  return local ? local[0].slice(1) : url.replace(/^file:\/\//, '');
}

function summarize(file: string, top: number, fromSeconds: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute each interval to the sample that ends it.
  let elapsedUs = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsedUs += delta;
    if (elapsedUs < fromSeconds * 1e6) continue;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, delta));
  }
  const total = [...selfUs.values()].reduce((sum, us) => sum + us, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((sum, [, us]) => sum + us, 0);
  const busy = total - idle;

  const functions = new Map<string, { name: string; where: string; area: string; us: number }>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    if (frame.functionName === '(idle)') continue;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}|${where}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, area, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }

  // Inclusive time of this repository's own functions (lib/ and bench/): each sample counts once
  // for every distinct such function on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || !/\/(lib|bench)\//.test(frame.url) || frame.url.includes('/node_modules/')) continue;
      const key = `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }

  const pct = (us: number) => `${((us * 100) / busy).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  console.log(`\n== ${basename(file)}${fromSeconds > 0 ? ` from ${fromSeconds} s on` : ''}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time)`);
  console.log('\nSelf time by area:');
  for (const [area, us] of [...areas].filter(([a]) => a !== '(idle)').sort((x, y) => y[1] - x[1]).slice(0, 15)) {
    console.log(`${ms(us)} ${pct(us)}  ${area}`);
  }
  console.log(`\nTop ${top} functions by self time:`);
  for (const entry of [...functions.values()].sort((x, y) => y.us - x.us).slice(0, top)) {
    console.log(`${ms(entry.us)} ${pct(entry.us)}  ${entry.name}  ${entry.where}`);
  }
  console.log(`\nTop ${Math.min(top, 15)} lib/ and bench/ functions by inclusive time:`);
  for (const [key, us] of [...inclusive].sort((x, y) => y[1] - x[1]).slice(0, Math.min(top, 15))) {
    console.log(`${ms(us)} ${pct(us)}  ${key}`);
  }
}

const args = process.argv.slice(2);
let top = 25;
let fromSeconds = 0;
const files: string[] = [];
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--from') fromSeconds = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error('Usage: node --import ./scripts/register-ts.mjs bench/profile-summary.ts [--top N] [--from S] <file.cpuprofile> ...');
  process.exit(2);
}
for (const file of files) summarize(file, top, fromSeconds);
