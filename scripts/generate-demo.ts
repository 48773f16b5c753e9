/**
 * Deterministic demo data: payment CSV exports with planted incidents, and data/incidents.json
 * listing them so detections can be scored. Same seed → byte-identical files.
 *
 *   node dist/scripts/generate-demo.js [--out data] [--seed 42] [--rows N]
 *
 * With --rows N it writes benchmark data instead: exactly N transactions, ≈ N/2.2 orders and the
 * acquirer's per-minute counts for the same days (default --out data/bench).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AppError, ExitCode, UsageError } from '../src/errors.js';
import { writeAcquirer } from './demo/acquirer.js';
import { generateBench } from './demo/bench.js';
import { generateCheckout } from './demo/checkout.js';
import { generateCountries } from './demo/countries.js';
import { generateDemoOrders } from './demo/demo-orders.js';
import { buildManifest, demoIncidents, writeManifest } from './demo/manifest.js';
import type { Manifest } from './demo/manifest.js';
import { generatePayments } from './demo/payments.js';
import { Rng } from './demo/random.js';
import { ACQUIRER_FROM, ACQUIRER_TO } from './demo/timeline.js';

export type { Incident, IncidentKind, Manifest } from './demo/manifest.js';

export const DEFAULT_SEED = 42;

export interface GenerateOptions {
  outDir: string;
  seed?: number;
  /** Benchmark mode: exactly this many transactions instead of the demo set. */
  rows?: number;
}

/** Writes the demo set (or, with `rows`, benchmark data) into `outDir` and returns the manifest. */
export async function generateDemo(opts: GenerateOptions): Promise<Manifest> {
  const seed = opts.seed ?? DEFAULT_SEED;
  mkdirSync(opts.outDir, { recursive: true });
  if (opts.rows !== undefined) {
    const bench = generateBench(opts.outDir, seed, opts.rows);
    const manifest = buildManifest(seed, [], bench.period, bench.period.end);
    writeManifest(opts.outDir, manifest);
    return manifest;
  }
  generateCountries(opts.outDir);
  const orderIds = generateDemoOrders(opts.outDir, seed);
  generatePayments(opts.outDir, new Rng(seed, 'payments'));
  generateCheckout(opts.outDir, new Rng(seed, 'checkout'));
  writeAcquirer({
    path: join(opts.outDir, 'transaction_status', 'acquirer.csv'),
    rng: new Rng(seed, 'acquirer'),
    from: ACQUIRER_FROM,
    to: ACQUIRER_TO,
    incidents: true,
  });
  const manifest = buildManifest(seed, demoIncidents(orderIds));
  writeManifest(opts.outDir, manifest);
  return manifest;
}

function integerOption(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Parses the command line, generates, prints a one-line summary; returns the exit code. */
export async function main(args: string[], print: (line: string) => void = console.log): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        rows: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    print('usage: generate-demo [--out data] [--seed 42] [--rows N]');
    return ExitCode.ok;
  }
  const rows = integerOption('rows', values.rows, 1);
  const seed = integerOption('seed', values.seed, 0);
  const outDir = resolve(values.out ?? (rows === undefined ? 'data' : join('data', 'bench')));
  const started = performance.now();
  const manifest = await generateDemo({ outDir, seed, rows });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  print(
    rows === undefined
      ? `demo data (seed ${manifest.seed}, ${manifest.incidents.length} incidents) written to ${outDir} in ${seconds} s`
      : `${rows} transactions (${manifest.period.from} → ${manifest.period.to}) written to ${outDir} in ${seconds} s`,
  );
  return ExitCode.ok;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`generate-demo: ${(err as Error).message}\n`);
      process.exitCode = err instanceof AppError ? err.exitCode : 1;
    },
  );
}
