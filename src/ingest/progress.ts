/**
 * A one-line progress bar for a person at a terminal: bytes read of the file's size, redrawn at
 * most every 100 ms, wiped when the file is done. Off a TTY it writes nothing.
 */
export class ProgressBar {
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
    private readonly label: string,
    private readonly total: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  update(done: number): void {
    if (!this.enabled) return;
    const now = this.clock();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const share = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    this.write(`\r${this.label} [${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(this.total)} MB`);
    this.drawn = true;
  }

  /** Clears the line (carriage return, spaces, carriage return). */
  finish(): void {
    if (!this.drawn) return;
    this.write('\r' + ' '.repeat(this.label.length + 60) + '\r');
    this.drawn = false;
  }
}

function mb(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}
