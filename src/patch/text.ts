/**
 * Tiny text helpers shared by the line-based patchers (.env, .gitignore) and the package.json patcher.
 * All pure: strings in, strings out.
 */

export type Eol = '\n' | '\r\n';

/**
 * The line ending a file uses, judged by its first line break. A mixed file follows its first line, so the
 * lines we add match the top of the file, which is what an editor would also pick. `fallback` (LF) is used
 * for new or single-line files.
 */
export function detectEol(source: string, fallback: Eol = '\n'): Eol {
  const firstLf = source.indexOf('\n');
  if (firstLf === -1) return fallback;
  return firstLf > 0 && source[firstLf - 1] === '\r' ? '\r\n' : '\n';
}

/** Splits off a UTF-8 byte order mark so parsers see clean text; callers put `bom` back in front. */
export function splitBom(source: string): { bom: string; body: string } {
  return source.startsWith('\uFEFF') ? { bom: '\uFEFF', body: source.slice(1) } : { bom: '', body: source };
}

export function endsWithNewline(source: string): boolean {
  return source.endsWith('\n');
}

/** True when the last line of `text` (which ends with a newline) holds only whitespace, or there is none. */
function lastLineIsBlank(text: string): boolean {
  const withoutFinalBreak = text.replace(/\r?\n$/, '');
  const lastLine = withoutFinalBreak.slice(withoutFinalBreak.lastIndexOf('\n') + 1);
  return lastLine.trim() === '';
}

/**
 * Appends `lines` as one block at the end of `source`, leaving every existing byte in place:
 * - a missing final newline is added first, so the user's last line is not glued to ours;
 * - one blank line separates the block from existing content (unless the file already ends with one);
 * - the block itself ends with a newline.
 */
export function appendBlock(source: string, lines: readonly string[], eol: Eol): string {
  if (lines.length === 0) return source;
  const block = lines.join(eol) + eol;
  if (source === '') return block;
  let out = endsWithNewline(source) ? source : source + eol;
  if (!lastLineIsBlank(out)) out += eol;
  return out + block;
}

/** Turns a possibly multi-line text into `# ` comment lines (a newline inside must not end the comment). */
export function commentLines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => (line === '' ? '#' : `# ${line}`));
}
