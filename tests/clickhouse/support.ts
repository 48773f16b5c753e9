import { describe } from 'vitest';
import { clickhouseAvailable } from '../../scripts/bench-clickhouse-servers.js';

/**
 * ClickHouse tests need the clickhouse-server binary. Locally they skip, saying so, when it is
 * absent; under CI (`CI` set, where .ci/run installs it) a missing binary fails instead.
 */
export const HAVE_CLICKHOUSE = clickhouseAvailable();

if (!HAVE_CLICKHOUSE) {
  if (process.env.CI) throw new Error('clickhouse-server is not installed, and CI must run the ClickHouse tests (.ci/run installs it)');
  console.warn('SKIPPED: ClickHouse tests: clickhouse-server is not installed (apt-get install clickhouse-server clickhouse-client)');
}

export const describeClickHouse = HAVE_CLICKHOUSE ? describe : describe.skip;
