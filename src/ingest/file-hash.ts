import { execFile } from 'node:child_process';
import { sha256File } from './read-records.js';

/**
 * The sha256 of a file (what `loads` records), computed by the `openssl` command in a process of
 * its own when there is one: Node's bundled OpenSSL hashes at about 400 MB/s here, the system's at
 * about 1.7 GB/s (SHA extensions), and a separate process keeps the work off the loader's two
 * threads. Without `openssl` (or if it fails) the file is hashed in this process: the same digest.
 */
export function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('openssl', ['dgst', '-sha256', '-r', path], { maxBuffer: 1 << 16 }, (error, stdout) => {
      const hex = /^([0-9a-f]{64}) /.exec(String(stdout));
      if (!error && hex) resolve(hex[1]!);
      else resolve(sha256File(path));
    });
  });
}
