/**
 * Small helpers over @babel/parser: parse a source file by its extension, walk the tree without
 * @babel/traverse, and read a few node shapes the patchers care about.
 */
import { parse, type ParserPlugin } from '@babel/parser';
import type * as t from '@babel/types';

/** A file that could not be parsed. `line` and `column` are 1-based, as editors show them. */
export class SourceSyntaxError extends SyntaxError {
  constructor(
    readonly filename: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${filename}:${line}:${column}: ${detail}`);
    this.name = 'SourceSyntaxError';
  }
}

export function parseSource(source: string, filename: string): t.File {
  const ext = /\.[cm]?[jt]sx?$/i.exec(filename)?.[0].toLowerCase() ?? '.js';
  const plugins: ParserPlugin[] = ['decorators-legacy'];
  if (ext.includes('t')) plugins.push('typescript');
  // `.js` files may hold JSX too; `.ts` files cannot (`<T>x` is a type assertion there).
  if (ext.endsWith('x') || !ext.includes('t')) plugins.push('jsx');
  // Babel reads a shebang only at offset 0; behind a byte order mark it is a syntax error (tsc and Node
  // accept it). Same-length stand-ins keep every offset pointing at the original text.
  const text = source.startsWith('\uFEFF#!') ? ` //${source.slice(3)}` : source;
  try {
    return parse(text, {
      sourceType: ext.startsWith('.m') ? 'module' : 'unambiguous',
      plugins,
      errorRecovery: false,
      attachComment: false,
      // CommonJS entries may `return` at the top level; ESM entries may `await` there.
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
    });
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    if (!loc) throw error;
    const detail = String((error as Error).message).replace(/ \(\d+:\d+\)$/, '');
    throw new SourceSyntaxError(filename, loc.line, loc.column + 1, detail);
  }
}

const SKIPPED_KEYS = new Set(['loc', 'start', 'end', 'extra', 'leadingComments', 'trailingComments', 'innerComments']);

function isNode(value: unknown): value is t.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function forEachChild(node: t.Node, visit: (child: t.Node) => void): void {
  for (const [key, value] of Object.entries(node)) {
    if (SKIPPED_KEYS.has(key)) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) visit(item);
    } else if (isNode(value)) {
      visit(value);
    }
  }
}

/** Depth-first, source order. `ancestors` ends with the parent of `node`. Return false to skip the children. */
export function walk(root: t.Node, visit: (node: t.Node, ancestors: readonly t.Node[]) => boolean | void): void {
  const ancestors: t.Node[] = [];
  const go = (node: t.Node): void => {
    if (visit(node, ancestors) === false) return;
    ancestors.push(node);
    forEachChild(node, go);
    ancestors.pop();
  };
  go(root);
}

export function some(root: t.Node, test: (node: t.Node) => boolean): boolean {
  let found = false;
  walk(root, (node) => {
    if (found) return false;
    if (test(node)) found = true;
    return !found;
  });
  return found;
}

/** Strips TypeScript-only wrappers (`x as T`, `x!`, `x satisfies T`, `<T>x`) and parentheses. */
export function unwrap(node: t.Node): t.Node {
  let current = node;
  while (
    current.type === 'TSAsExpression' ||
    current.type === 'TSSatisfiesExpression' ||
    current.type === 'TSNonNullExpression' ||
    current.type === 'TSTypeAssertion' ||
    current.type === 'ParenthesizedExpression'
  ) {
    current = current.expression;
  }
  return current;
}

/** The value of `'x'`, `"x"` or `` `x` `` (without substitutions); undefined for anything else. */
export function stringValue(node: t.Node | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'StringLiteral') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** `a.b.c` for identifiers and non-computed member chains, else undefined. */
export function dottedName(node: t.Node): string | undefined {
  const inner = unwrap(node);
  if (inner.type === 'Identifier') return inner.name;
  if (inner.type === 'ThisExpression') return 'this';
  if ((inner.type === 'MemberExpression' || inner.type === 'OptionalMemberExpression') && !inner.computed) {
    const object = dottedName(inner.object);
    return object === undefined || inner.property.type !== 'Identifier' ? undefined : `${object}.${inner.property.name}`;
  }
  return undefined;
}

/** For `require('x')` returns 'x'. */
export function requireSpecifier(node: t.Node | null | undefined): string | undefined {
  if (!node) return undefined;
  const inner = unwrap(node);
  if (inner.type !== 'CallExpression' || inner.callee.type !== 'Identifier' || inner.callee.name !== 'require') return undefined;
  return inner.arguments.length === 1 ? stringValue(inner.arguments[0]) : undefined;
}

/**
 * The calls of a chain like `app.use(a).use(b).listen(3000)`, innermost first, and the expression the chain
 * starts from (`app`). `x.y.z()` has root `x`.
 */
export function callChain(node: t.Node): { root: t.Node; calls: t.CallExpression[] } {
  const calls: t.CallExpression[] = [];
  let current = unwrap(node);
  for (;;) {
    if (current.type === 'CallExpression') {
      calls.unshift(current);
      current = unwrap(current.callee);
    } else if (current.type === 'MemberExpression' && !current.computed) {
      current = unwrap(current.object);
    } else {
      return { root: current, calls };
    }
  }
}

/** `use` for `x.use(...)`; undefined when the callee is not a plain member access. */
export function methodName(call: t.CallExpression): string | undefined {
  const callee = unwrap(call.callee);
  return callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier'
    ? callee.property.name
    : undefined;
}

/** Whether two module specifiers name the same module (`./routes/auth`, `./routes/auth.js`, `./routes/auth/index.ts`). */
export function sameModule(a: string, b: string): boolean {
  const normalize = (s: string) => s.replace(/\.[cm]?[jt]sx?$/, '').replace(/\/index$/, '');
  return normalize(a) === normalize(b);
}

/** Start offset of a parsed node; Babel always sets it for parsed source. */
export function startOf(node: t.Node | t.Comment): number {
  if (typeof node.start !== 'number') throw new Error(`unreachable: ${node.type} without a start offset`);
  return node.start;
}

/** End offset of a parsed node; Babel always sets it for parsed source. */
export function endOf(node: t.Node | t.Comment): number {
  if (typeof node.end !== 'number') throw new Error(`unreachable: ${node.type} without an end offset`);
  return node.end;
}
