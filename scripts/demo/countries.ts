import { join } from 'node:path';
import { CsvWriter } from './csv-writer.js';

export const COUNTRIES_HEADER = 'country,country_rn';

/** ISO 3166 alpha-3 codes with their numeric codes; payments refer to the numeric ones. */
export const COUNTRIES: readonly (readonly [string, number])[] = [
  ['ARG', 32],
  ['BRA', 76],
  ['CAN', 124],
  ['CHL', 152],
  ['COL', 170],
  ['DEU', 276],
  ['ESP', 724],
  ['FRA', 250],
  ['GBR', 826],
  ['ITA', 380],
  ['MEX', 484],
  ['PER', 604],
  ['PRT', 620],
  ['URY', 858],
  ['USA', 840],
];

export const countryRn = (code: string): number => {
  const hit = COUNTRIES.find(([c]) => c === code);
  if (!hit) throw new Error(`unknown country ${code}`);
  return hit[1];
};

export function generateCountries(outDir: string): void {
  const out = new CsvWriter(join(outDir, 'countries.csv'), COUNTRIES_HEADER);
  for (const [code, rn] of COUNTRIES) out.row(`${code},${rn}`);
  out.close();
}
