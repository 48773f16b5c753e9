/**
 * A structural summary of a vega SVG, used for golden comparisons: what marks were drawn (counted
 * per mark group) and what text a reader sees — not coordinates, so float noise does not matter.
 */

export interface SvgNode {
  tag: string;
  attrs: Record<string, string>;
  children: SvgNode[];
  text: string;
}

function decode(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Minimal parser for the well-formed SVG vega writes (no CDATA, comments or doctype). */
export function parseSvg(svg: string): SvgNode {
  const root: SvgNode = { tag: '#root', attrs: {}, children: [], text: '' };
  const stack: SvgNode[] = [root];
  for (const m of svg.matchAll(/<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      top.text += decode(m[5]);
      continue;
    }
    if (m[1]) {
      if (top.tag !== m[2]) throw new Error(`unbalanced SVG: </${m[2]}> closes <${top.tag}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
    const node: SvgNode = { tag: m[2]!, attrs, children: [], text: '' };
    top.children.push(node);
    if (!m[4]) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`unclosed SVG element <${stack[stack.length - 1]!.tag}>`);
  const svgRoot = root.children[0];
  if (!svgRoot || svgRoot.tag !== 'svg') throw new Error('no <svg> root');
  return svgRoot;
}

export function walk(node: SvgNode, visit: (n: SvgNode, ancestors: SvgNode[]) => void, ancestors: SvgNode[] = []): void {
  visit(node, ancestors);
  for (const c of node.children) walk(c, visit, [...ancestors, node]);
}

/** `mark-line role-mark layer_1_marks` → `mark-line role-mark layer_1_marks` minus vega's extras. */
function markKey(cls: string): string | undefined {
  const parts = cls.split(/\s+/);
  const mark = parts.find((p) => p.startsWith('mark-'));
  const role = parts.find((p) => p.startsWith('role-'));
  if (!mark || !role) return undefined;
  const name = parts.find((p) => p !== mark && p !== role);
  return [mark, role, name].filter(Boolean).join(' ');
}

/** Items drawn by each mark group (e.g. the number of `<path>`s under `mark-line role-mark`). */
export function markItems(svg: SvgNode): Record<string, number> {
  const counts: Record<string, number> = {};
  walk(svg, (n) => {
    if (n.tag !== 'g' || !n.attrs.class) return;
    const key = markKey(n.attrs.class);
    if (!key) return;
    counts[key] = (counts[key] ?? 0) + n.children.length;
  });
  return sortKeys(counts);
}

/** Text content grouped by the role of the mark group it is drawn in (title, axis-title, …). */
export function textsByRole(svg: SvgNode): Record<string, string[]> {
  const texts: Record<string, string[]> = {};
  walk(svg, (n, ancestors) => {
    // Tick labels dropped by vega's overlap removal stay in the SVG with opacity 0.
    if (n.tag !== 'text' || n.attrs.opacity === '0') return;
    const group = [...ancestors].reverse().find((a) => a.tag === 'g' && /\brole-/.test(a.attrs.class ?? ''));
    const role = /\brole-([\w-]+)/.exec(group?.attrs.class ?? '')?.[1] ?? 'none';
    // Multi-line text is drawn as <tspan>s.
    const content = n.children.length ? n.children.map((c) => c.text).join(' ') : n.text;
    (texts[role] ??= []).push(content.trim());
  });
  return sortKeys(texts);
}

export function tagCounts(svg: SvgNode): Record<string, number> {
  const counts: Record<string, number> = {};
  walk(svg, (n) => {
    counts[n.tag] = (counts[n.tag] ?? 0) + 1;
  });
  return sortKeys(counts);
}

export interface SvgSummary {
  size: { width: number; height: number };
  tags: Record<string, number>;
  marks: Record<string, number>;
  texts: Record<string, string[]>;
}

export function summarizeSvg(svgText: string): SvgSummary {
  const svg = parseSvg(svgText);
  return {
    size: { width: Number(svg.attrs.width), height: Number(svg.attrs.height) },
    tags: tagCounts(svg),
    marks: markItems(svg),
    texts: textsByRole(svg),
  };
}

/** The item elements of the mark groups whose class contains `cls` (e.g. `mark-symbol role-mark`). */
export function itemsOf(svgText: string, cls: string): SvgNode[] {
  const items: SvgNode[] = [];
  walk(parseSvg(svgText), (n) => {
    if (n.tag === 'g' && (n.attrs.class ?? '').includes(cls)) items.push(...n.children);
  });
  return items;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
