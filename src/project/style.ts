import type { File } from '@babel/types';
import { walk } from '../patch/ast.js';
import { detectEol } from '../patch/text.js';
import type { CodeStyle } from './types.js';

const DEFAULT_STYLE: CodeStyle = { eol: '\n', indent: '  ', quote: "'", semicolons: true };

/** Reads line ending, indentation, quotes and semicolons off the app's entry file, so what we add blends in. */
export function detectStyle(source: string | undefined, ast: File | undefined): CodeStyle {
  if (source === undefined) return DEFAULT_STYLE;
  return {
    eol: detectEol(source),
    indent: detectIndent(source),
    quote: ast ? detectQuote(ast) : DEFAULT_STYLE.quote,
    semicolons: ast ? detectSemicolons(source, ast) : DEFAULT_STYLE.semicolons,
  };
}

function detectIndent(source: string): string {
  let smallest = Infinity;
  for (const line of source.split(/\r?\n/)) {
    const match = /^([ \t]+)\S/.exec(line);
    if (!match?.[1]) continue;
    if (match[1].startsWith('\t')) return '\t';
    // A lone space usually continues a block comment (` * text`), not an indentation level.
    if (line.trimStart().startsWith('*')) continue;
    smallest = Math.min(smallest, match[1].length);
  }
  return Number.isFinite(smallest) && smallest >= 2 ? ' '.repeat(Math.min(smallest, 8)) : DEFAULT_STYLE.indent;
}

function detectQuote(ast: File): "'" | '"' {
  let single = 0;
  let double = 0;
  walk(ast.program, (node) => {
    if (node.type !== 'StringLiteral') return;
    const raw = (node.extra as { raw?: string } | undefined)?.raw;
    if (raw?.startsWith("'")) single++;
    else if (raw?.startsWith('"')) double++;
  });
  return double > single ? '"' : "'";
}

function detectSemicolons(source: string, ast: File): boolean {
  let withSemicolon = 0;
  let without = 0;
  for (const statement of ast.program.body) {
    if (!/^(ExpressionStatement|VariableDeclaration|ImportDeclaration|ReturnStatement)$/.test(statement.type)) continue;
    if (statement.end == null) continue;
    if (source[statement.end - 1] === ';') withSemicolon++;
    else without++;
  }
  return without === 0 || withSemicolon >= without;
}
