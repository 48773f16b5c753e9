/** A1 notation for a whole tab, quoted the way Sheets requires: `'Anomaly: unfinished orders'!A1`. */
export function quoteTab(tab: string): string {
  return `'${tab.replace(/'/g, "''")}'`;
}

export function a1(tab: string, cells: string): string {
  return `${quoteTab(tab)}!${cells}`;
}
