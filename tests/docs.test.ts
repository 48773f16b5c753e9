/** The reference documentation keeps up with the command line: every command and flag is in docs/commands.md. */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { REPO, workspace } from './helpers/cli.js';

describe('documentation', () => {
  it('docs/commands.md names every command and every flag that --help shows', async () => {
    const doc = readFileSync(join(REPO, 'docs/commands.md'), 'utf8');
    const ws = workspace();
    const top = (await ws.cli('--help')).stdout;
    const commands = [...top.matchAll(/^ {2}([a-z][a-z-]*)(?: \[options\])?/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(11);
    const flags = (help: string) => [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((f) => f !== '--help');
    for (const f of flags(top)) expect(doc, `global ${f}`).toContain(f);
    for (const c of commands) {
      expect(doc, c).toContain(`anomaly ${c}`);
      for (const f of flags((await ws.cli(c, '--help')).stdout)) expect(doc, `${c} ${f}`).toMatch(new RegExp(`anomaly ${c}[^\\n]*${f}`));
    }
  });

  it('every relative link in README.md and docs/ that points at this repository resolves', () => {
    const files = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    for (const file of files) {
      const text = readFileSync(join(REPO, file), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#:\s]+)(#[^)]*)?\)/g)) {
        const target = resolve(dirname(join(REPO, file)), m[1]!);
        expect(existsSync(target), `${file} → ${m[1]}`).toBe(true);
      }
    }
  });
});
