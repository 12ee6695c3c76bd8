/** How often the line is redrawn at most. */
const EVERY_MS = 100;

/**
 * One line of progress on stderr, redrawn in place, only when stderr is a terminal (a file or
 * pipe gets nothing). The first draw is immediate; later ones at most every 100 ms. `clear`
 * removes it: before a record goes to the same terminal, and at the end.
 */
export class ProgressLine {
  private readonly stream: NodeJS.WriteStream;
  private readonly text: () => string;
  private readonly enabled: boolean;
  private last = -Infinity;
  private shown = false;

  /** `text` is called only when the line is drawn. */
  constructor(text: () => string, stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
    this.text = text;
    this.enabled = stream.isTTY === true;
  }

  tick(): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < EVERY_MS) return;
    this.last = now;
    const width = Math.max((this.stream.columns || 80) - 1, 10);
    this.stream.write(`\r\x1b[K${this.text().slice(0, width)}`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
