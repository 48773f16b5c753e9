/**
 * Vega numbers its clip paths and gradients from 1 in every render (`clip1`, …). Inlining several
 * charts in one page would make `url(#clip1)` point into the wrong chart, so each SVG's ids get a
 * unique prefix.
 */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]!);
  if (ids.size === 0) return svg;
  const rename = (id: string) => (ids.has(id) ? `${prefix}-${id}` : id);
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, a: string, id: string) => `${a}${rename(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${rename(id)})`)
    .replace(/((?:xlink:)?href=")#([^"]+)"/g, (_, a: string, id: string) => `${a}#${rename(id)}"`);
}
