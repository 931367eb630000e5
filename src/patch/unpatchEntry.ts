/**
 * The inverse of the server-entry patch, for `backternity remove`: deletes the import/require of the
 * component's modules, the `app.use('<mount>', authRouter, …)` mount and the `await connectAuth()` line
 * (with the comment the patch wrote above it). Statements are found through @babel/parser positions and
 * removed as whole lines when they stand alone on their line, so add-then-remove gives back the original bytes.
 */
import type * as t from '@babel/types';
import {
  SourceSyntaxError,
  callChain,
  dottedName,
  endOf,
  parseSource,
  requireSpecifier,
  sameModule,
  startOf,
  stringValue,
  unwrap,
  walk,
} from './ast.js';

export interface UnpatchEntryOptions {
  /** Module specifiers the patch imported from, e.g. ['./routes/auth.js', './services/auth.js']. */
  imports: string[];
  mountPath: string;
  /** Names the patch imports and uses; a statement is removed only when it holds nothing else. */
  names?: string[];
}

export type UnpatchEntryResult =
  | { status: 'unpatched'; source: string; removed: string[]; kept: string[] }
  | { status: 'unchanged'; source: string; kept: string[] }
  | { status: 'unsupported'; reason: string };

const DEFAULT_NAMES = ['authRouter', 'authErrorHandler', 'connectAuth'];
const CONNECT_COMMENT = 'Open the auth store before the server accepts requests.';

export function unpatchServerEntry(source: string, filename: string, options: UnpatchEntryOptions): UnpatchEntryResult {
  let ast: t.File;
  try {
    ast = parseSource(source, filename);
  } catch (error) {
    if (error instanceof SourceSyntaxError) return { status: 'unsupported', reason: `cannot parse ${error.message}` };
    throw error;
  }
  const names = new Set(options.names ?? DEFAULT_NAMES);
  const ranges: Array<{ start: number; end: number }> = [];
  const removed: string[] = [];
  const kept: string[] = [];

  for (const statement of ast.program.body) {
    const imported = importedNames(statement, options.imports);
    if (imported === undefined) continue;
    const specifier = source.slice(startOf(statement), endOf(statement));
    if (imported.every((name) => names.has(name))) {
      ranges.push(statementRange(source, statement));
      removed.push(specifier);
    } else kept.push(`${specifier} (it also imports names of yours)`);
  }

  walk(ast.program, (node) => {
    if (node.type !== 'ExpressionStatement') return;
    const expression = unwrap(node.expression);
    if (isMount(expression, options.mountPath, names) || isConnectCall(expression, names)) {
      ranges.push(statementRange(source, node));
      removed.push(source.slice(startOf(node), endOf(node)));
      const comment = (ast.comments ?? []).find(
        (c) => c.type === 'CommentLine' && c.value.trim() === CONNECT_COMMENT && lineAfter(source, endOf(c)) === lineStart(source, startOf(node)),
      );
      if (comment && isConnectCall(expression, names)) ranges.push(statementRange(source, comment));
      return false;
    }
    return undefined;
  });

  if (ranges.length === 0) return { status: 'unchanged', source, kept };
  const result = [...ranges]
    .sort((a, b) => b.start - a.start)
    .reduce((text, range) => text.slice(0, range.start) + text.slice(range.end), source);
  return { status: 'unpatched', source: result, removed, kept };
}

/** Names an import/require statement takes from one of `modules`; undefined when it imports from elsewhere. */
function importedNames(statement: t.Statement, modules: string[]): string[] | undefined {
  if (statement.type === 'ImportDeclaration' && modules.some((m) => sameModule(statement.source.value, m))) {
    return statement.specifiers.map((s) =>
      s.type === 'ImportSpecifier' ? (s.imported.type === 'Identifier' ? s.imported.name : s.imported.value) : `* ${s.local.name}`,
    );
  }
  if (statement.type === 'VariableDeclaration' && statement.declarations.length === 1) {
    const declaration = statement.declarations[0];
    const required = requireSpecifier(declaration?.init);
    if (!declaration || required === undefined || !modules.some((m) => sameModule(required, m))) return undefined;
    if (declaration.id.type !== 'ObjectPattern') return [`* ${dottedName(declaration.id) ?? '?'}`];
    return declaration.id.properties.map((p) => (p.type === 'ObjectProperty' ? (dottedName(p.key) ?? '?') : '...'));
  }
  return undefined;
}

/** `<app>.use('<mountPath>', authRouter, …)` where every handler is one of ours. */
function isMount(expression: t.Node, mountPath: string, names: Set<string>): boolean {
  const { calls } = callChain(expression);
  const call = calls.length === 1 ? calls[0] : undefined;
  if (!call || expression.type !== 'CallExpression') return false;
  const callee = unwrap(call.callee);
  if (callee.type !== 'MemberExpression' || dottedName(callee.property) !== 'use') return false;
  const [first, ...handlers] = call.arguments;
  if (!first || stringValue(first)?.replace(/\/+$/, '') !== mountPath.replace(/\/+$/, '')) return false;
  return handlers.length > 0 && handlers.every((h) => h.type === 'Identifier' && names.has(h.name));
}

/** `await connectAuth()` (or `connectAuth()`), the statement the patch adds to open the store. */
function isConnectCall(expression: t.Node, names: Set<string>): boolean {
  const inner = expression.type === 'AwaitExpression' ? unwrap(expression.argument) : expression;
  if (inner.type !== 'CallExpression') return false;
  const callee = unwrap(inner.callee);
  return callee.type === 'Identifier' && callee.name === 'connectAuth' && names.has('connectAuth') && inner.arguments.length === 0;
}

/**
 * The bytes to delete for a statement: its whole line (with the line break) when nothing else is on it,
 * otherwise just the statement and the spaces after it.
 */
function statementRange(source: string, node: t.Node | t.Comment): { start: number; end: number } {
  const start = startOf(node);
  const end = endOf(node);
  const from = lineStart(source, start);
  const breakAt = lineEnd(source, end);
  if (/^[ \t]*$/.test(source.slice(from, start)) && /^[ \t]*$/.test(source.slice(end, breakAt))) {
    const next = source.startsWith('\r\n', breakAt) ? breakAt + 2 : source[breakAt] === '\n' ? breakAt + 1 : breakAt;
    // The last line of a file without a final newline: take the line break before it instead.
    if (next === breakAt && from > 0) return { start: from - (source.slice(from - 2, from) === '\r\n' ? 2 : 1), end: breakAt };
    return { start: from, end: next };
  }
  let after = end;
  while (source[after] === ' ' || source[after] === '\t') after++;
  return { start, end: after };
}

function lineStart(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(source: string, offset: number): number {
  const lf = source.indexOf('\n', offset);
  const end = lf === -1 ? source.length : lf;
  return source[end - 1] === '\r' ? end - 1 : end;
}

/** Start of the line after the one `offset` is on. */
function lineAfter(source: string, offset: number): number {
  const lf = source.indexOf('\n', offset);
  return lf === -1 ? source.length : lf + 1;
}
