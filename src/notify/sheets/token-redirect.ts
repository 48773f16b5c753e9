/**
 * google-auth-library (via gtoken) always posts the signed assertion to Google's fixed token URL
 * and ignores `token_uri` in the key file. To use another endpoint (GOOGLE_OAUTH_TOKEN_URL, e.g. a
 * test server) we rewrite that one request in a gaxios interceptor on the JWT client's
 * transporter; the JWT itself, its signature and audience are unchanged.
 */
import type { JWT } from 'google-auth-library';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

interface InterceptedRequest {
  url: URL | string;
  retry?: boolean;
  retryConfig?: unknown;
}

export function configureTokenRequests(jwt: JWT, tokenUrl: string | undefined): void {
  jwt.transporter.interceptors.request.add({
    resolved: async (opts) => {
      const req = opts as unknown as InterceptedRequest;
      if (String(req.url) === GOOGLE_TOKEN_URL) {
        if (tokenUrl) req.url = new URL(tokenUrl);
        // gtoken asks gaxios to retry the token POST; retries belong to our retry stage.
        req.retry = false;
        req.retryConfig = undefined;
      }
      return opts;
    },
  });
}
