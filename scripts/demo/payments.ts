import { join } from 'node:path';
import { dayString } from '../../src/time.js';
import { countryRn } from './countries.js';
import { CsvWriter } from './csv-writer.js';
import type { Rng } from './random.js';
import { isWeekend } from './timefmt.js';
import { DAY, DEMO_DAY, PERIOD_FROM } from './timeline.js';

export const PAYMENTS_HEADER =
  'created_day,channel_id,order_type,payment_source,merchant_token_type,is_secured,bin_amount_usd,status,error_code,' +
  'error_message,bank_issuer,card_brand,card_type,card_country,ip_country,invoice_number,retry_number,count_orders,count_emails';

interface Brand {
  name: string;
  share: number;
  /** Typical approval rate; each day varies a little around it. */
  approval: number;
  issuer: number;
  country: string;
}

export const BRANDS: Brand[] = [
  { name: 'visa', share: 0.42, approval: 0.9, issuer: 1001, country: 'BRA' },
  { name: 'mastercard', share: 0.35, approval: 0.89, issuer: 2001, country: 'BRA' },
  { name: 'elo', share: 0.15, approval: 0.875, issuer: 3001, country: 'BRA' },
  { name: 'amex', share: 0.08, approval: 0.905, issuer: 4001, country: 'USA' },
];

/** Decline codes and their normal mix among declines. */
export const DECLINE_CODES = [
  { code: '0051', message: 'Insufficient funds', share: 0.45 },
  { code: '0005', message: 'Do not honor', share: 0.33 },
  { code: '0014', message: 'Invalid card number', share: 0.16 },
  { code: '0091', message: 'Issuer unavailable', share: 0.06 },
];
const ERROR = { code: '0096', message: 'System malfunction', share: 0.008 };

/** The incident on D: elo approvals fall to ~60 %, the extra declines all `0091`. */
export const ELO_INCIDENT = { brand: 'elo', approval: 0.6, code: '0091' };

/** Channel × card type cells each brand's volume is split over. */
const CELLS = [
  { channel: 1, source: 'web_checkout', secured: 'true', cardType: 'credit', token: 'none', amount: '50-200', share: 0.42 },
  { channel: 1, source: 'web_checkout', secured: 'true', cardType: 'debit', token: 'none', amount: '0-50', share: 0.18 },
  { channel: 2, source: 'mobile_app', secured: 'false', cardType: 'credit', token: 'network', amount: '50-200', share: 0.28 },
  { channel: 2, source: 'mobile_app', secured: 'false', cardType: 'debit', token: 'network', amount: '0-50', share: 0.12 },
];

const ORDERS_PER_WEEKDAY = 12_000;

/** One block of rows per day, D included; counts give each brand an 85–92 % approval rate. */
export function generatePayments(outDir: string, rng: Rng): void {
  const out = new CsvWriter(join(outDir, 'payments_aggregate.csv'), PAYMENTS_HEADER);
  for (let day = PERIOD_FROM; day <= DEMO_DAY; day += DAY) {
    const created = dayString(day, 'UTC');
    const volume = ORDERS_PER_WEEKDAY * (isWeekend(day) ? 0.75 : 1) * (1 + 0.03 * rng.normal());
    for (const brand of BRANDS) {
      const brandVolume = volume * brand.share;
      const approval = brand.approval + Math.max(-0.012, Math.min(0.012, 0.005 * rng.normal()));
      const declineShare = 1 - approval - ERROR.share;
      const mix = DECLINE_CODES.map((d) => d.share * (1 + 0.05 * rng.normal()));
      const mixSum = mix.reduce((a, b) => a + b, 0);
      const incident = day === DEMO_DAY && brand.name === ELO_INCIDENT.brand;
      const approvedShare = incident ? ELO_INCIDENT.approval + rng.uniform(-0.01, 0.01) : approval;
      const extra0091 = approval - approvedShare; // declines the incident adds (0 on normal days)

      for (const cell of CELLS) {
        const n = brandVolume * cell.share;
        const country = countryRn(brand.country);
        const common = (status: string, code: string, message: string, count: number): void => {
          if (count <= 0) return;
          const emails = Math.max(1, Math.floor(count * rng.uniform(0.9, 0.98)));
          out.row(
            [
              created,
              cell.channel,
              'sale',
              cell.source,
              cell.token,
              cell.secured,
              cell.amount,
              status,
              code,
              message,
              brand.issuer + (cell.cardType === 'debit' ? 1 : 0),
              brand.name,
              cell.cardType,
              country,
              cell.channel === 2 ? countryRn('BRA') : country,
              1,
              '0',
              count,
              emails,
            ].join(','),
          );
        };
        common('approved', '', '', Math.round(n * approvedShare));
        DECLINE_CODES.forEach((d, i) => {
          const extra = d.code === ELO_INCIDENT.code ? extra0091 : 0;
          common('declined', d.code, d.message, Math.round(n * (declineShare * (mix[i]! / mixSum) + extra)));
        });
        common('error', ERROR.code, ERROR.message, Math.round(n * ERROR.share));
      }
    }
  }
  out.close();
}
