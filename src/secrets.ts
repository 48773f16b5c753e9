/** Secret scrubbing, kept free of dependencies so the CLI can use it before anything heavy loads. */

/** Patterns of secrets that may hide inside free text (error messages, URLs). */
const SECRET_PATTERNS = [
  /xox[abposr]-[A-Za-z0-9-]+/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]+/g,
  /ya29\.[A-Za-z0-9._-]+/g,
];

/** Removes anything that looks like a token or private key from a string. */
export function scrubSecrets(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[REDACTED]');
  for (const secret of extra) {
    if (secret && secret.length >= 6) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}
