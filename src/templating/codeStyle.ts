/**
 * Re-styles generated code to the app's conventions (quotes, semicolons, indentation) with edits at
 * token and statement positions from @babel/parser, so string, regex and template-literal contents are
 * never touched. Templates are written with single quotes, semicolons and two-space indentation.
 */
import { parse } from '@babel/parser';
import type * as t from '@babel/types';
import { walk } from '../patch/ast.js';
import type { CodeStyle } from '../project/types.js';
import { applyEdits, type Edit } from './edits.js';

const TEMPLATE_INDENT = 2;

/** Statements that end with an ASI-able semicolon. */
const SEMICOLON_STATEMENTS = new Set([
  'ExpressionStatement',
  'VariableDeclaration',
  'ReturnStatement',
  'ThrowStatement',
  'BreakStatement',
  'ContinueStatement',
  'ImportDeclaration',
  'ExportNamedDeclaration',
  'ExportAllDeclaration',
  'ExportDefaultDeclaration',
  'ClassProperty',
  'ClassPrivateProperty',
  'TSTypeAliasDeclaration',
  'TSImportEqualsDeclaration',
  'TSExportAssignment',
]);

/** A line starting with one of these would continue the previous statement if its semicolon went. */
const ASI_HAZARD = /^[([`+\-/*,.<]/;

export function applyCodeStyle(source: string, filename: string, style: Pick<CodeStyle, 'quote' | 'semicolons' | 'indent'>): string {
  const wantsQuotes = style.quote !== "'";
  const wantsNoSemicolons = !style.semicolons;
  const wantsIndent = style.indent !== ' '.repeat(TEMPLATE_INDENT);
  if (!wantsQuotes && !wantsNoSemicolons && !wantsIndent) return source;

  const ast = parse(source, {
    sourceType: 'module',
    plugins: /\.[cm]?tsx?$/.test(filename) ? ['typescript'] : [],
    tokens: true,
    allowReturnOutsideFunction: true,
  });
  const edits: Edit[] = [];
  if (wantsQuotes) edits.push(...quoteEdits(source, ast, style.quote));
  if (wantsNoSemicolons) edits.push(...semicolonEdits(source, ast));
  if (wantsIndent) edits.push(...indentEdits(source, ast, style.indent));
  return applyEdits(source, edits);
}

interface Token {
  type: string | { label: string };
  start: number;
  end: number;
}

function tokenLabel(token: Token): string {
  return typeof token.type === 'string' ? token.type : token.type.label;
}

/** `'x'` → `"x"` for string tokens whose content needs no escaping either way. */
function quoteEdits(source: string, ast: t.File, quote: '"' | "'"): Edit[] {
  const edits: Edit[] = [];
  for (const token of (ast.tokens ?? []) as Token[]) {
    if (tokenLabel(token) !== 'string') continue;
    const raw = source.slice(token.start, token.end);
    const inner = raw.slice(1, -1);
    if (raw[0] === quote || inner.includes(quote) || inner.includes('\\')) continue;
    edits.push({ start: token.start, end: token.end, text: quote + inner + quote });
  }
  return edits;
}

/** Drops statement-ending semicolons, except where the next line would then continue the statement. */
function semicolonEdits(source: string, ast: t.File): Edit[] {
  const edits: Edit[] = [];
  walk(ast.program, (node, ancestors) => {
    if (!SEMICOLON_STATEMENTS.has(node.type) || node.end == null) return;
    const parent = ancestors.at(-1);
    // `for (let i = 0; …)`: that declaration's semicolon is part of the loop header.
    if (parent && /^For/.test(parent.type) && ((parent as t.ForStatement).init === node || (parent as t.ForInStatement).left === node)) return;
    if ((node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration') && node.declaration && !isExpressionLike(node.declaration)) {
      return;
    }
    const end = node.end;
    if (source[end - 1] !== ';') return;
    const next = source.slice(end).replace(/^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/, '');
    if (ASI_HAZARD.test(next)) return;
    // `a; b;` on one line keeps the separator.
    const restOfLine = source.slice(end, source.indexOf('\n', end) === -1 ? source.length : source.indexOf('\n', end));
    if (restOfLine.replace(/\/\/.*$/, '').trim() !== '') return;
    edits.push({ start: end - 1, end, text: '' });
  });
  return edits;
}

function isExpressionLike(node: t.Node): boolean {
  return !/Declaration$/.test(node.type);
}

/** Re-indents two-space levels to the app's unit; lines inside template literals keep their bytes. */
function indentEdits(source: string, ast: t.File, indent: string): Edit[] {
  const literalRanges: Array<[number, number]> = [];
  walk(ast.program, (node) => {
    if (node.type === 'TemplateLiteral' && node.start != null && node.end != null) literalRanges.push([node.start, node.end]);
  });
  const insideLiteral = (offset: number) => literalRanges.some(([start, end]) => offset > start && offset < end);
  const edits: Edit[] = [];
  for (let at = 0; at < source.length; at = source.indexOf('\n', at) + 1 || source.length) {
    const leading = /^ +/.exec(source.slice(at, at + 200))?.[0];
    if (leading && !insideLiteral(at)) {
      const levels = Math.floor(leading.length / TEMPLATE_INDENT);
      const rest = leading.length % TEMPLATE_INDENT;
      edits.push({ start: at, end: at + leading.length, text: indent.repeat(levels) + ' '.repeat(rest) });
    }
    if (source.indexOf('\n', at) === -1) break;
  }
  return edits;
}
