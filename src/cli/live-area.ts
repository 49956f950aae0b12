/**
 * Where frames go: on a terminal, one area redrawn in place (cursor back to its first line, each line
 * cleared and rewritten, anything below cleared); on a pipe, a plain line whenever it differs from
 * the last one printed, so a log gets one line per change and no escape codes. The escape sequences
 * are built by `redraw` (pure, tested); ~20 lines of ANSI instead of a progress-bar library, whose
 * bars assume a known total and which would own the frame instead of src/cli/progress-frame.ts.
 */

export interface Output {
  write(text: string): unknown;
}

const ESC = '\x1b[';
export const HIDE_CURSOR = `${ESC}?25l`;
export const SHOW_CURSOR = `${ESC}?25h`;

/**
 * The bytes that replace an area of `previousLines` lines (the cursor on its last line, which is not
 * ended by a newline) with `frame`, leaving the cursor at the end of the frame's last line.
 */
export function redraw(previousLines: number, frame: string): string {
  const up = previousLines > 1 ? `${ESC}${previousLines - 1}A` : '';
  const lines = frame.split('\n').map((l) => `${ESC}2K${l}`);
  return `${previousLines > 0 ? `\r${up}` : ''}${lines.join('\n')}${ESC}J`;
}

export class LiveArea {
  private lines = 0;
  private lastLine: string | undefined;

  constructor(
    private readonly out: Output,
    private readonly tty: boolean,
  ) {}

  /** Shows the state: `frame` on a terminal, `line` on a pipe (when it changed). */
  update(frame: string, line: string): void {
    if (this.tty) {
      if (this.lines === 0) this.out.write(HIDE_CURSOR);
      this.out.write(redraw(this.lines, frame));
      this.lines = frame.split('\n').length;
    } else if (line !== this.lastLine) {
      this.lastLine = line;
      this.out.write(`${line}\n`);
    }
  }

  /** Leaves the area as it is drawn and moves below it, so what is printed next follows it. */
  close(): void {
    if (this.tty && this.lines > 0) this.out.write(`\n${SHOW_CURSOR}`);
    this.lines = 0;
  }
}
