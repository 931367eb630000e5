import ignore from 'ignore';
import { appendBlock, commentLines, detectEol, splitBom } from './text.js';

export interface GitignorePatchResult {
  source: string;
  /** The paths appended, as given. */
  added: string[];
}

/** Makes sure each path (e.g. '.env', '.data/') is ignored; appends only the ones not already covered. */
export function patchGitignore(
  source: string | undefined,
  paths: string[],
  options: { header?: string } = {},
): GitignorePatchResult {
  const text = source ?? '';
  // Ask the `ignore` library, which implements gitignore semantics (globs, anchors, `**`, and negations
  // where the last matching rule wins), instead of comparing lines. Case-sensitive like git on Linux: if
  // in doubt, a redundant line is harmless while a missed ignore can leak a secret into a commit.
  const rules = ignore({ ignorecase: false }).add(splitBom(text).body);
  const added: string[] = [];

  for (const path of paths) {
    if (rules.ignores(toRelativePath(path))) continue;
    added.push(path);
    // Appended rules come last, so they also override an earlier `!path` negation.
    rules.add(toPattern(path));
  }

  if (added.length === 0) return { source: text, added };
  const lines = [...(options.header ? commentLines(options.header) : []), ...added.map(toPattern)];
  return { source: appendBlock(text, lines, detectEol(text)), added };
}

/**
 * The path as the `ignore` library wants it: relative, forward slashes, no `./` or leading `/`. A trailing
 * slash is kept, as it tells the library (and git) that the path is a directory.
 */
function toRelativePath(path: string): string {
  const relative = path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  if (relative === '' || relative === '/' || relative.split('/').includes('..')) {
    throw new Error(`Cannot add ${JSON.stringify(path)} to .gitignore: expected a path inside the project`);
  }
  return relative;
}

/**
 * The line to write for `path`. A leading `/` anchors it to the project root as the caller asked; `#` and
 * `!` at the start would make a comment or a negation, so they are escaped.
 */
function toPattern(path: string): string {
  const anchored = path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  return /^[#!]/.test(anchored) ? `\\${anchored}` : anchored;
}
