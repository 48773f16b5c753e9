/**
 * Reads a Google service-account key file. Errors name the file and the variable that points at
 * it, and never echo the file's contents (it holds a private key).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.js';

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
}

const WHERE = 'PATH_TO_GOOGLE_JSON_CREDENTIALS';

export function readServiceAccountKey(path: string): ServiceAccountKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? 'error'})`;
    throw new ConfigError(`Google service-account key file ${path} ${why} (${WHERE})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes part of the input, which could be the private key: leave it out.
    throw new ConfigError(`Google service-account key file ${path} is not valid JSON (${WHERE}); download a new JSON key`);
  }
  const obj = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof obj.private_key !== 'string' || !obj.private_key.includes('PRIVATE KEY')) {
    const hint = obj.type && obj.type !== 'service_account' ? ` (its type is ${JSON.stringify(obj.type)}, not "service_account")` : '';
    throw new ConfigError(`Google key file ${path} has no private_key${hint} (${WHERE}); it must be a service-account JSON key`);
  }
  if (typeof obj.client_email !== 'string' || !obj.client_email.includes('@')) {
    throw new ConfigError(`Google key file ${path} has no client_email (${WHERE}); it must be a service-account JSON key`);
  }
  return { clientEmail: obj.client_email, privateKey: obj.private_key };
}
