/**
 * Routes @slack/web-api's own logging into our pino logger, scrubbed of the token (the client
 * logs request bodies and headers at debug level).
 */
import type { Logger as SlackLogger } from '@slack/web-api';
import { scrubSecrets, type Logger } from '../../log.js';

type SlackLevel = ReturnType<SlackLogger['getLevel']>;

export function slackLoggerFor(log: Logger, secrets: readonly string[]): SlackLogger {
  const child = log.child({ component: 'slack-web-api' });
  const text = (parts: unknown[]) =>
    scrubSecrets(parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' '), secrets);
  let level = 'info' as SlackLevel;
  return {
    debug: (...m: unknown[]) => child.debug(text(m)),
    // The client's "info" lines are chatter about its internals; a run log does not need them.
    info: (...m: unknown[]) => child.debug(text(m)),
    warn: (...m: unknown[]) => child.warn(text(m)),
    error: (...m: unknown[]) => child.error(text(m)),
    setLevel: (l: SlackLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
