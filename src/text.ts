/** Small wording helpers shared by command output, reports and Slack messages. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * `1 order`, `46 orders`, `1,234 orders`. `many` defaults to `one` + "s"; pass it for irregular
 * words (`anomaly` / `anomalies`).
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * An exact duration in the units `parseDuration` reads back: 240 min → `4h`, 90 min → `1h30m`,
 * 30 days → `30d`, 45 s → `45s`. Sub-second remainders are rounded away.
 */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / SECOND)) * SECOND;
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', SECOND]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join('');
}

/** Edit distance (Levenshtein), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The candidates closest to `name` (at most `limit`): those within a third of its length in edits
 * (at least 2); failing any, those that contain it or are contained by it. Case is ignored.
 */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const lower = name.toLowerCase();
  const all = [...new Set(candidates)].map((c) => ({ c, cl: c.toLowerCase(), d: editDistance(lower, c.toLowerCase()) }));
  let near = all.filter((x) => x.d <= Math.max(2, Math.floor(lower.length / 3)));
  if (near.length === 0 && lower.length >= 3) near = all.filter((x) => x.cl.includes(lower) || lower.includes(x.cl));
  return near.sort((x, y) => x.d - y.d || x.c.localeCompare(y.c)).slice(0, limit).map((x) => x.c);
}

/** A column name as an axis title: `change_pp` → "Change (pp)", `share_pct` → "Share (%)", `card_brand` → "Card brand". */
export function humanLabel(column: string): string {
  const m = /^(.*?)_(pp|pct|percent|ms|usd)$/.exec(column);
  const unit = m ? ({ pp: 'pp', pct: '%', percent: '%', ms: 'ms', usd: 'USD' } as Record<string, string>)[m[2]!] : undefined;
  const words = (m ? m[1]! : column).replace(/_/g, ' ').trim();
  const text = words.charAt(0).toUpperCase() + words.slice(1);
  return unit ? `${text} (${unit})` : text;
}

/**
 * What one group of a key template is, for an axis title: `merchant {merchant_id}` → "Merchant",
 * `{card_brand}` → "Card brand"; `fallback` when the template says nothing.
 */
export function groupLabel(template: string | undefined, fallback: string): string {
  if (!template) return humanLabel(fallback);
  const words = template.replace(/\{[^}]*\}/g, ' ').replace(/\s+/g, ' ').trim();
  if (words) return humanLabel(words);
  const first = /\{(\w+)\}/.exec(template)?.[1];
  return humanLabel(first ?? fallback);
}
