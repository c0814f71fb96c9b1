/**
 * jobctl's tables (README.md, "jobctl"): upper-case headings, columns separated by
 * ` | `, a dash rule under the heading. Cells may span several lines and may
 * carry a colour, which is applied only when the output style allows it and
 * never counts towards a column's width.
 *
 * ```
 * TARGET | CONCURRENCY | LENGTH | PAUSED
 * ------ | ----------- | ------ | ------
 * build  |           2 |      0 | no
 * ```
 *
 * @module
 */

/** Colours a cell may ask for. */
export type Color = "red" | "green" | "yellow" | "dim";

/** A table cell: plain text, or text with a colour. Line breaks split it over several lines. */
export type Cell = string | number | { text: string; color?: Color };

/** How output is written: with ANSI colours or without. */
export interface Style {
  color: boolean;
}

/** Plain output, for pipes, files, tests and `NO_COLOR`. */
export const PLAIN: Style = { color: false };

/** One column: its heading (shown upper-case) and alignment (`right` suits numbers). */
export interface Column {
  heading: string;
  align?: "left" | "right";
}

/** The separator between two columns. */
export const COLUMN_SEPARATOR = " | ";

/** What a cell without a value shows (no result yet, no next run, nothing waiting). */
export const EMPTY_CELL = "-";

const ANSI: Record<Color | "bold", [string, string]> = {
  red: ["\x1b[31m", "\x1b[39m"],
  green: ["\x1b[32m", "\x1b[39m"],
  yellow: ["\x1b[33m", "\x1b[39m"],
  dim: ["\x1b[2m", "\x1b[22m"],
  bold: ["\x1b[1m", "\x1b[22m"],
};

/** Wraps `text` in the ANSI codes of `color` when `style` has colours. */
export function paint(text: string, color: Color | "bold" | undefined, style: Style): string {
  if (!style.color || color === undefined || text === "") return text;
  const [open, close] = ANSI[color];
  return `${open}${text}${close}`;
}

/** Number of characters as a terminal shows them (code points; no wide-character handling). */
function width(text: string): number {
  return [...text].length;
}

function cellText(cell: Cell): string {
  return typeof cell === "object" ? cell.text : String(cell);
}

function cellColor(cell: Cell): Color | undefined {
  return typeof cell === "object" ? cell.color : undefined;
}

/** Pads `text` to `size` columns; the padding stays outside any colour. */
function pad(text: string, size: number, align: "left" | "right", shown = text): string {
  const fill = " ".repeat(Math.max(0, size - width(text)));
  return align === "right" ? fill + shown : shown + fill;
}

/**
 * Renders a table as text, one line per row line, ending with a line break.
 * A cell without text (an empty string, or missing from a row shorter than
 * the column list) shows {@linkcode EMPTY_CELL}. Trailing spaces, and the
 * separators before the blank lines of other cells at the end of a
 * multi-line row, are left out.
 */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  style: Style = PLAIN,
): string {
  const headings = columns.map((column) => column.heading.toUpperCase());
  const cells = rows.map((row) =>
    columns.map((_, index) => {
      const cell = row[index] ?? "";
      const text = cellText(cell);
      if (text === "") return { lines: [EMPTY_CELL], color: undefined };
      return { lines: text.split("\n"), color: cellColor(cell) };
    })
  );
  // Loops, not Math.max(...list): a spread of 100,000 rows or lines overflows the stack.
  const widths = headings.map(width);
  for (const row of cells) {
    row.forEach((cell, index) => {
      for (const line of cell.lines) widths[index] = Math.max(widths[index], width(line));
    });
  }
  const join = (parts: string[]) => parts.join(COLUMN_SEPARATOR).trimEnd();
  const lines = [
    join(
      headings.map((heading, index) =>
        pad(heading, widths[index], columns[index].align ?? "left", paint(heading, "bold", style))
      ),
    ),
    join(widths.map((size) => "-".repeat(size))),
  ];
  for (const row of cells) {
    const height = row.reduce((most, cell) => Math.max(most, cell.lines.length), 0);
    for (let line = 0; line < height; line++) {
      const texts = row.map((cell) => cell.lines[line] ?? "");
      // Empty cells at the end of a line get no separators either.
      const used = texts.findLastIndex((text) => text !== "") + 1;
      lines.push(join(
        texts.slice(0, Math.max(used, 1)).map((text, index) => {
          const align = columns[index].align ?? "left";
          return pad(text, widths[index], align, paint(text, row[index].color, style));
        }),
      ));
    }
  }
  return lines.join("\n") + "\n";
}
