/** A replacement of `source[start, end)` by `text` (an insertion when start === end). */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies non-overlapping edits. Insertions at the same offset keep the order they were added in.
 * Overlaps are a bug in the caller (two rules claimed the same bytes), so they throw.
 */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  const ordered = edits.map((edit, index) => ({ edit, index })).sort((a, b) => a.edit.start - b.edit.start || a.edit.end - b.edit.end || a.index - b.index);
  let output = '';
  let cursor = 0;
  for (const { edit } of ordered) {
    if (edit.start < cursor) {
      throw new Error(`overlapping edits at ${edit.start} (${JSON.stringify(source.slice(edit.start, edit.end + 20))})`);
    }
    output += source.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return output + source.slice(cursor);
}

/** Offset of the first character of the line holding `offset`. */
export function lineStart(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

/** Leading whitespace of the line holding `offset`. */
export function indentAt(source: string, offset: number): string {
  const start = lineStart(source, offset);
  return /^[ \t]*/.exec(source.slice(start))?.[0] ?? '';
}

/**
 * The range a whole statement occupies: widened to full lines (indentation and line break included) when
 * nothing else shares them, so removing it leaves no blank stub behind.
 */
export function wholeLines(source: string, start: number, end: number): { start: number; end: number } {
  const from = lineStart(source, start);
  const before = source.slice(from, start);
  let to = end;
  while (to < source.length && (source[to] === ' ' || source[to] === '\t')) to++;
  const endsLine = to === source.length || source[to] === '\n' || source[to] === '\r';
  if (!/^[ \t]*$/.test(before) || !endsLine) return { start, end };
  if (source[to] === '\r') to++;
  if (source[to] === '\n') to++;
  return { start: from, end: to };
}
