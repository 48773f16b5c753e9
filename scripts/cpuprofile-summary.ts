/**
 * Where a `node --cpu-prof` profile's time went, by kind rather than by function: loading modules,
 * GC, Node's bootstrap, a system call such as fsync, idle, and the run time of each package or of
 * each of our files. For start-up work, where a flat profile is a long tail of loader internals.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/anomaly.js init-db …
 *   node dist/scripts/cpuprofile-summary.js /tmp/prof/<file>.cpuprofile [rows=20]
 *
 * A sample counts as module loading when no function of ours or of a package is on its stack other
 * than module bodies (the top level of a file, which is evaluation of the import), and as the run
 * time of the innermost named function's file or package otherwise.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/<package>` or the file's path below the repository (dist/src/ingest/x.js → ingest/x.js). */
function owner(url: string): string {
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/dist\/(?:src\/)?(.+)$/.exec(url);
  return ours ? ours[1]! : url.replace(/^file:\/\//, '');
}

function kind(stack: CallFrame[]): string {
  const leaf = stack[0]!;
  if (leaf.functionName === '(garbage collector)') return 'GC';
  if (leaf.functionName === '(idle)') return 'idle (waiting for the disk or other threads)';
  if (leaf.functionName === '(program)') return 'Node bootstrap and native code';
  const user = stack.filter((f) => f.url.startsWith('file://'));
  const named = user.find((f) => f.functionName !== '');
  // Reading and compiling files on behalf of an import, or running a file's top level.
  if (!named && (user.length > 0 || stack.some((f) => f.url.startsWith('node:internal/modules')))) return 'loading and evaluating modules';
  // A blocking system call (fsync, read, lstat) is named apart: its time is the disk's, not the code's.
  if (leaf.url === '' && /^[a-z]\w*$/i.test(leaf.functionName)) return `system call: ${leaf.functionName}${named ? ` (${owner(named.url)})` : ''}`;
  if (named) return `run: ${owner(named.url)}`;
  return stack.every((f) => f.url === '' || /^node:internal\/(bootstrap|main|process)/.test(f.url)) ? 'Node bootstrap and native code' : 'Node internals (other)';
}

export function summarize(profile: CpuProfile): { total: number; rows: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + profile.timeDeltas[i]!));
  const perKind = new Map<string, number>();
  let total = 0;
  for (const [id, us] of perNode) {
    const stack: CallFrame[] = [];
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) stack.push(byId.get(n)!.callFrame);
    const k = kind(stack);
    perKind.set(k, (perKind.get(k) ?? 0) + us);
    total += us;
  }
  return { total: total / 1000, rows: [...perKind].map(([k, us]) => [k, us / 1000] as [string, number]).sort((a, b) => b[1] - a[1]) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/scripts/cpuprofile-summary.js <file.cpuprofile> [rows]');
    process.exit(64);
  }
  const { total, rows } = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  console.log(`${total.toFixed(0)} ms sampled`);
  for (const [k, ms] of rows.slice(0, Number(process.argv[3] ?? 20))) console.log(`${ms.toFixed(1).padStart(8)} ms  ${k}`);
}
