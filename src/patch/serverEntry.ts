/**
 * Server-entry patcher: adds the auth router import, `app.use('/api/auth', authRouter)` and (optionally)
 * `await connectAuth()` to the file that creates the Express app.
 *
 * Every change is an insertion at an offset taken from the @babel/parser AST; no other byte moves.
 * Each insertion is skipped when the file already has it, so running the patcher on its own output
 * returns `unchanged`.
 */
import type * as t from '@babel/types';
import type { CodeStyle } from '../project/types.js';
import {
  SourceSyntaxError,
  callChain,
  dottedName,
  endOf,
  methodName,
  parseSource,
  requireSpecifier,
  sameModule,
  some,
  startOf,
  stringValue,
  unwrap,
  walk,
} from './ast.js';

export interface ExpressAppLocation {
  appVariable: string;
  /** Start offset of the `express()` call. */
  callStart: number;
  topLevel: boolean;
}

export interface EntryPatchOptions {
  /** Specifier of the router module, e.g. './routes/auth.js' or './routes/auth'. */
  routerImport: string;
  /** Specifier of the module exporting `connectAuth`, e.g. './services/auth.js'. */
  connectImport: string;
  mountPath: string;
  syntax: 'import' | 'require';
  /** The caller says top-level await is allowed in this module (ESM, and a TS target/module that allow it). */
  awaitConnect: boolean;
  style: CodeStyle;
}

export type EntryPatchResult =
  | { status: 'patched'; source: string; changes: string[] }
  | { status: 'unchanged'; source: string }
  | { status: 'unsupported'; reason: string; manual: string[] };

const ROUTER_EXPORT = 'authRouter';
/**
 * Mounted right after the router, on the same path: when the app's own `express.json()` runs first, a
 * malformed or oversized auth request fails in that parser, before the router, and only an error handler
 * on the auth path can still answer it with the auth routes' JSON error instead of the app's error page.
 */
const ERROR_HANDLER_EXPORT = 'authErrorHandler';
const CONNECT_EXPORT = 'connectAuth';

/**
 * Finds `const <x> = express()` (also `express().use(...)` chains), preferring one at the top level.
 * Returns undefined when the file never stores the result of `express()` in a variable.
 * Throws SourceSyntaxError (message `file:line:col: detail`) when the file cannot be parsed.
 */
export function findExpressApp(source: string, filename: string): ExpressAppLocation | undefined {
  const found = locateApp(parseSource(source, filename));
  if (found.kind !== 'app') return undefined;
  const { appVariable, callStart, topLevel } = found.app;
  return { appVariable, callStart, topLevel };
}

export function patchServerEntry(source: string, filename: string, options: EntryPatchOptions): EntryPatchResult {
  const render = lineRenderer(options.style, options.syntax);
  // Top-level await only exists in ES modules; a `require` or .cjs/.cts file is CommonJS whatever the caller thinks.
  const wantsConnect = options.awaitConnect && options.syntax === 'import' && !/\.c[jt]s$/i.test(filename);
  const unsupported = (reason: string, appVariable = 'app', routerLocal = ROUTER_EXPORT): EntryPatchResult => ({
    status: 'unsupported',
    reason,
    manual: [
      render.importLine([ROUTER_EXPORT, ERROR_HANDLER_EXPORT], options.routerImport),
      ...(wantsConnect ? [render.importLine([CONNECT_EXPORT], options.connectImport)] : []),
      render.mountLine(appVariable, options.mountPath, [routerLocal, ERROR_HANDLER_EXPORT]),
      ...(wantsConnect ? [render.awaitLine(CONNECT_EXPORT)] : []),
    ],
  });

  let ast: t.File;
  try {
    ast = parseSource(source, filename);
  } catch (error) {
    if (error instanceof SourceSyntaxError) return unsupported(`cannot parse ${error.message}`);
    throw error;
  }

  const located = locateApp(ast);
  if (located.kind === 'none') return unsupported(`${filename} never calls express()`);
  if (located.kind === 'unbound') {
    return unsupported(`${filename} calls express() without storing the app in a variable (\`const app = express()\`)`);
  }
  const { app } = located;
  const program = ast.program;

  const routerLocal = importedBinding(program, options.routerImport, ROUTER_EXPORT);
  const errorHandlerLocal = importedBinding(program, options.routerImport, ERROR_HANDLER_EXPORT);
  const mountStatement = findMount(program, app.appVariable, options.mountPath);
  const connectLocal = importedBinding(program, options.connectImport, CONNECT_EXPORT);
  // Await only where the app is created at the top level; a factory's caller decides when to connect.
  const needsConnect = wantsConnect && app.topLevel && program.sourceType === 'module' && !callsFunction(program, connectLocal ?? CONNECT_EXPORT);

  const addRouterImport = !mountStatement && !routerLocal;
  const addConnectImport = needsConnect && !connectLocal;
  // A second `authRouter` binding would be a redeclaration error; the user has their own, so a human decides.
  const declared = topLevelNames(program);
  const clash = [addRouterImport && ROUTER_EXPORT, addRouterImport && ERROR_HANDLER_EXPORT, addConnectImport && CONNECT_EXPORT].find(
    (name) => name && declared.has(name),
  );
  if (clash) return unsupported(`${filename} already declares \`${clash}\`, not imported from the generated module`, app.appVariable);

  const text = new SourceText(source, ast, options.style.eol);
  const edits: Edit[] = [];
  const changes: string[] = [];

  const imports: string[] = [];
  if (addRouterImport) {
    imports.push(render.importLine([ROUTER_EXPORT, ERROR_HANDLER_EXPORT], options.routerImport));
    changes.push(`${options.syntax} { ${ROUTER_EXPORT}, ${ERROR_HANDLER_EXPORT} } from '${options.routerImport}'`);
  }
  if (addConnectImport) {
    imports.push(render.importLine([CONNECT_EXPORT], options.connectImport));
    changes.push(`${options.syntax} { ${CONNECT_EXPORT} } from '${options.connectImport}'`);
  }
  if (imports.length > 0) {
    const anchor = importAnchor(program, app.topStatement);
    edits.push(anchor ? text.insertAfter(anchor, imports) : text.insertBefore(firstStatement(program), imports));
  }

  const awaitLines = needsConnect
    ? [render.comment('Open the auth store before the server accepts requests.'), render.awaitLine(connectLocal ?? CONNECT_EXPORT)]
    : [];
  if (!mountStatement) {
    const point = mountPoint(app, options.mountPath);
    // An authRouter the user imported themselves is mounted as it is; the error handler comes with our import.
    const handlers = routerLocal ? [routerLocal, ...(errorHandlerLocal ? [errorHandlerLocal] : [])] : [ROUTER_EXPORT, ERROR_HANDLER_EXPORT];
    edits.push(text.insertAfter(point.after, [render.mountLine(app.appVariable, options.mountPath, handlers), ...awaitLines]));
    changes.push(`mount ${options.mountPath} ${point.description}`);
  } else if (awaitLines.length > 0) {
    edits.push(text.insertAfter(mountStatement, awaitLines));
  }
  if (awaitLines.length > 0) changes.push(`await ${CONNECT_EXPORT}() before the server starts`);

  if (edits.length === 0) return { status: 'unchanged', source };
  const patched = applyEdits(source, edits);
  try {
    parseSource(patched, filename);
  } catch (error) {
    // Never hand back a file that no longer parses (e.g. an ASI hazard in a file without semicolons).
    if (error instanceof SourceSyntaxError) {
      return unsupported(`patching ${filename} would break its syntax (${error.message})`, app.appVariable, routerLocal ?? ROUTER_EXPORT);
    }
    throw error;
  }
  return { status: 'patched', source: patched, changes };
}

// ---------------------------------------------------------------------------------------------------------
// Locating the app

interface LocatedApp extends ExpressAppLocation {
  /** Statement list of the block that creates the app (program body or a function body). */
  body: t.Statement[];
  /** The statement of `body` holding the declaration. */
  statement: t.Statement;
  /** The top-level statement holding the declaration (the declaration itself, or e.g. the factory function). */
  topStatement: t.Statement;
}

type Located = { kind: 'app'; app: LocatedApp } | { kind: 'unbound' } | { kind: 'none' };

function locateApp(ast: t.File): Located {
  const names = expressNames(ast.program);
  const isExpressCall = (node: t.Node): boolean => {
    if (node.type !== 'CallExpression') return false;
    const callee = unwrap(node.callee);
    return (callee.type === 'Identifier' && names.has(callee.name)) || requireSpecifier(callee) === 'express';
  };

  let calls = 0;
  const apps: LocatedApp[] = [];
  walk(ast.program, (node, ancestors) => {
    if (isExpressCall(node)) calls++;
    if (node.type !== 'VariableDeclarator' || node.id.type !== 'Identifier' || !node.init) return;
    // `express()` itself or a chain starting from it: `express().use(cors())`, `require('express')()`.
    const { calls: chain } = callChain(node.init);
    const first = chain[0] && requireSpecifier(chain[0]) === 'express' ? chain[1] : chain[0];
    if (!first || !isExpressCall(first)) return;
    let blockIndex = ancestors.length - 1;
    while (blockIndex >= 0 && ancestors[blockIndex]?.type !== 'Program' && ancestors[blockIndex]?.type !== 'BlockStatement') blockIndex--;
    const block = ancestors[blockIndex] as t.Program | t.BlockStatement | undefined;
    const statement = ancestors[blockIndex + 1] as t.Statement | undefined;
    const topStatement = ancestors[1] as t.Statement | undefined;
    if (!block || !statement || !topStatement) return;
    apps.push({
      appVariable: node.id.name,
      callStart: startOf(first),
      topLevel: block.type === 'Program',
      body: block.body,
      statement,
      topStatement,
    });
  });
  // Sub-apps are sometimes created inside helpers; the one at the top level is the server's.
  const app = apps.find((a) => a.topLevel) ?? apps[0];
  if (app) return { kind: 'app', app };
  return calls > 0 ? { kind: 'unbound' } : { kind: 'none' };
}

/** Local names bound to the express module: default, namespace, `{ default as e }`, `require('express')`. */
function expressNames(program: t.Program): Set<string> {
  const names = new Set<string>();
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration' && statement.source.value === 'express' && statement.importKind !== 'type') {
      for (const s of statement.specifiers) {
        const imported = s.type === 'ImportSpecifier' ? s.imported : undefined;
        const isDefault = !imported || (imported.type === 'Identifier' ? imported.name : imported.value) === 'default';
        if (isDefault) names.add(s.local.name);
      }
    }
    if (
      statement.type === 'TSImportEqualsDeclaration' &&
      statement.moduleReference.type === 'TSExternalModuleReference' &&
      statement.moduleReference.expression.value === 'express'
    ) {
      names.add(statement.id.name);
    }
  }
  walk(program, (node) => {
    if (node.type !== 'VariableDeclarator' || node.id.type !== 'Identifier' || !node.init) return;
    const init = unwrap(node.init);
    const required =
      init.type === 'MemberExpression' && dottedName(init.property) === 'default' ? requireSpecifier(init.object) : requireSpecifier(init);
    if (required === 'express') names.add(node.id.name);
  });
  return names;
}

// ---------------------------------------------------------------------------------------------------------
// Where the mount goes

type Role = { kind: 'setup' } | { kind: 'boundary'; what: string } | { kind: 'other' };

/**
 * The mount goes after the last statement that configures the app (`app.use/get/set…`, `routes(app)`) and
 * before the first "boundary": a terminal handler, `app.listen`, an export or a return. Statements in
 * between that do not touch the app (`const PORT = …`) stay after the mount.
 */
function mountPoint(app: LocatedApp, mountPath: string): { after: t.Statement; description: string } {
  const { body, statement, appVariable } = app;
  let after = statement;
  let afterSetup = false;
  for (let i = body.indexOf(statement) + 1; i < body.length; i++) {
    const candidate = body[i];
    if (!candidate) break;
    const role = classify(candidate, appVariable, mountPath);
    if (role.kind === 'boundary') return { after, description: `before ${role.what}` };
    if (role.kind === 'setup') {
      after = candidate;
      afterSetup = true;
    }
  }
  return { after, description: afterSetup ? 'after the last middleware and routes' : `right after the ${appVariable} is created` };
}

function classify(statement: t.Statement, app: string, mountPath: string): Role {
  if (statement.type === 'ReturnStatement') return { kind: 'boundary', what: 'the return statement' };
  if (statement.type === 'ExportDefaultDeclaration') return { kind: 'boundary', what: 'export default' };
  if (statement.type === 'TSExportAssignment') return { kind: 'boundary', what: 'export =' };

  if (statement.type === 'ExpressionStatement') {
    let expression = unwrap(statement.expression);
    if (expression.type === 'AwaitExpression') expression = unwrap(expression.argument);
    if (expression.type === 'AssignmentExpression') {
      const target = dottedName(expression.left) ?? '';
      if (target === 'module.exports' || target.startsWith('module.exports.') || target.startsWith('exports.')) {
        return { kind: 'boundary', what: 'module.exports' };
      }
    }
    const { root, calls } = callChain(expression);
    if (isIdentifier(root, app) && calls.length > 0) {
      for (const call of calls) {
        const terminal = terminalHandler(call, mountPath);
        if (terminal) return { kind: 'boundary', what: `the ${terminal}` };
        if (methodName(call) === 'listen') return { kind: 'boundary', what: `${app}.listen` };
      }
    }
  }

  // The server starts here, maybe nested: `if (require.main === module) app.listen()`, `db.then(() => app.listen())`.
  const starts = some(statement, (node) => {
    if (node.type !== 'CallExpression') return false;
    const callee = unwrap(node.callee);
    if (callee.type === 'MemberExpression' && isIdentifier(callee.object, app) && methodName(node) === 'listen') return true;
    return /createServer$/.test(dottedName(callee) ?? '') && node.arguments.some((arg) => isIdentifier(arg, app));
  });
  if (starts) return { kind: 'boundary', what: `the server starts` };

  if (statement.type === 'ExpressionStatement') {
    let expression = unwrap(statement.expression);
    if (expression.type === 'AwaitExpression') expression = unwrap(expression.argument);
    if (expression.type === 'AssignmentExpression') expression = unwrap(expression.left); // app.locals.title = …
    const { root, calls } = callChain(expression);
    if (isIdentifier(root, app)) return { kind: 'setup' };
    // Route registration helpers: `routes(app)`, `require('./routes')(app)`, `await setupSwagger(app)`.
    if (calls.some((call) => call.arguments.some((arg) => isIdentifier(arg, app)))) return { kind: 'setup' };
  }
  return { kind: 'other' };
}

const ROUTE_METHODS = new Set(['use', 'all', 'get', 'post', 'put', 'patch', 'delete', 'options', 'head']);

/**
 * Whether `app.<method>(…)` ends request handling for the mount path, so the mount has to come first.
 * Returns a label for the change list, or undefined.
 */
function terminalHandler(call: t.CallExpression, mountPath: string): string | undefined {
  const method = methodName(call);
  if (!method || !ROUTE_METHODS.has(method)) return undefined;
  const [first, ...rest] = call.arguments;
  if (!first) return undefined;
  if (isCatchAllPath(first)) return 'catch-all route';
  // Only `use` runs for every path below its prefix; `app.get(fn)` is not a thing.
  if (method !== 'use') return undefined;
  const prefix = stringValue(first);
  if (prefix !== undefined) return coversPath(prefix, mountPath) ? firstTerminal(rest) : undefined;
  if (first.type === 'RegExpLiteral' || first.type === 'ArrayExpression') return undefined;
  return firstTerminal(call.arguments);
}

function firstTerminal(handlers: t.CallExpression['arguments']): string | undefined {
  for (const handler of handlers) {
    const kind = handlerKind(unwrap(handler));
    if (kind) return kind;
  }
  return undefined;
}

// Names of imported handlers are all we can see of them; these are the names 404/error/fallback handlers get.
const NOT_FOUND_NAME = /not.?found|404/i;
const ERROR_NAME = /error/i;
const FALLBACK_NAME = /fallback|catch.?all/i;

function handlerKind(handler: t.Node): string | undefined {
  if (handler.type === 'FunctionExpression' || handler.type === 'ArrowFunctionExpression') {
    const params = handler.params.filter((p) => !(p.type === 'Identifier' && p.name === 'this'));
    if (params.some((p) => p.type === 'RestElement')) return undefined;
    // Express tells error handlers apart by arity; a 2-param handler has no `next`, so nothing after it runs.
    if (params.length === 4) return 'error handler';
    if (params.length === 2) return '404 handler';
    // express-generator's `function(req, res, next) { next(createError(404)); }`
    if (params.length === 3 && some(handler.body, (n) => n.type === 'NumericLiteral' && n.value === 404)) return '404 handler';
    return undefined;
  }
  const name = dottedName(handler.type === 'CallExpression' ? handler.callee : handler);
  if (name === undefined) return undefined;
  if (NOT_FOUND_NAME.test(name)) return '404 handler';
  if (ERROR_NAME.test(name)) return 'error handler';
  if (FALLBACK_NAME.test(name)) return 'fallback handler';
  return undefined;
}

/** `'*'`, `'/*'`, `'/*splat'`, `'/{*splat}'`, `'(.*)'`, `/.*​/`: paths that match everything. */
function isCatchAllPath(node: t.Node): boolean {
  const value = stringValue(node);
  if (value !== undefined) return /^\/?(\*|\*\w+|\{\*\w*\}|\(\.\*\))$/.test(value.trim());
  if (node.type === 'RegExpLiteral') return /^\^?(\\\/)?(\.\*|\(\.\*\)|\.\+)\$?$/.test(node.pattern);
  return false;
}

/** Whether `app.use(prefix, …)` sees requests for `mountPath` (Express matches `use` paths by whole segments). */
function coversPath(prefix: string, mountPath: string): boolean {
  const p = trimSlash(prefix);
  const m = trimSlash(mountPath);
  return p === '' || m === p || m.startsWith(`${p}/`);
}

// ---------------------------------------------------------------------------------------------------------
// What the file already has

/** The top-level statement holding `<app>.use('<mountPath>', …)`, if any. */
function findMount(program: t.Program, app: string, mountPath: string): t.Statement | undefined {
  let found: t.Statement | undefined;
  walk(program, (node, ancestors) => {
    if (found) return false;
    if (node.type !== 'CallExpression' || methodName(node) !== 'use') return;
    const path = stringValue(node.arguments[0]);
    if (path === undefined || trimSlash(path) !== trimSlash(mountPath)) return;
    if (isIdentifier(callChain(node).root, app)) found = ancestors[1] as t.Statement | undefined;
  });
  return found;
}

/**
 * Local name under which `exportName` of `specifier` is already imported or required at the top level.
 * `./routes/auth`, `./routes/auth.js` and `./routes/auth.ts` are the same module.
 */
function importedBinding(program: t.Program, specifier: string, exportName: string): string | undefined {
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration' && sameModule(statement.source.value, specifier)) {
      for (const s of statement.specifiers) {
        const imported = s.type === 'ImportSpecifier' ? (s.imported.type === 'Identifier' ? s.imported.name : s.imported.value) : undefined;
        if (imported === exportName || s.local.name === exportName) return s.local.name;
      }
    }
    if (statement.type === 'VariableDeclaration') {
      for (const d of statement.declarations) {
        const required = requireSpecifier(d.init);
        if (required === undefined || !sameModule(required, specifier) || d.id.type !== 'ObjectPattern') continue;
        for (const p of d.id.properties) {
          if (p.type === 'ObjectProperty' && dottedName(p.key) === exportName && p.value.type === 'Identifier') return p.value.name;
        }
      }
    }
  }
  return undefined;
}

function callsFunction(program: t.Program, name: string): boolean {
  return some(program, (node) => node.type === 'CallExpression' && isIdentifier(node.callee, name));
}

function topLevelNames(program: t.Program): Set<string> {
  const names = new Set<string>();
  const addPattern = (node: t.Node | null | undefined): void => {
    if (!node) return;
    if (node.type === 'Identifier') names.add(node.name);
    else if (node.type === 'ObjectPattern') for (const p of node.properties) addPattern(p.type === 'RestElement' ? p.argument : p.value);
    else if (node.type === 'ArrayPattern') for (const e of node.elements) addPattern(e);
    else if (node.type === 'AssignmentPattern') addPattern(node.left);
    else if (node.type === 'RestElement') addPattern(node.argument);
  };
  for (const statement of program.body) {
    const declaration =
      statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
    if (!declaration) continue;
    if (declaration.type === 'ImportDeclaration') for (const s of declaration.specifiers) names.add(s.local.name);
    if (declaration.type === 'VariableDeclaration') for (const d of declaration.declarations) addPattern(d.id);
    if ((declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') && declaration.id) names.add(declaration.id.name);
    if (declaration.type === 'TSImportEqualsDeclaration') names.add(declaration.id.name);
  }
  return names;
}

/**
 * New imports go after the last import or `require` declaration that precedes the app (a `require` placed
 * later would not have run yet where the mount uses it). Undefined when there is none.
 */
function importAnchor(program: t.Program, appStatement: t.Statement): t.Statement | undefined {
  let anchor: t.Statement | undefined;
  for (const statement of program.body) {
    if (statement === appStatement) break;
    const isImport =
      statement.type === 'ImportDeclaration' ||
      statement.type === 'TSImportEqualsDeclaration' ||
      (statement.type === 'VariableDeclaration' &&
        statement.declarations.every((d) => d.init && isIdentifier(callChain(d.init).root, 'require')));
    if (isImport) anchor = statement;
  }
  return anchor;
}

function firstStatement(program: t.Program): t.Statement {
  const first = program.body[0];
  if (!first) throw new Error('unreachable: a file that calls express() has a statement');
  return first;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering and applying

function lineRenderer(style: CodeStyle, syntax: 'import' | 'require') {
  const end = style.semicolons ? ';' : '';
  const quote = (value: string) =>
    style.quote + value.replaceAll('\\', '\\\\').replaceAll(style.quote, `\\${style.quote}`) + style.quote;
  return {
    importLine: (names: string[], specifier: string) =>
      syntax === 'import'
        ? `import { ${names.join(', ')} } from ${quote(specifier)}${end}`
        : `const { ${names.join(', ')} } = require(${quote(specifier)})${end}`,
    mountLine: (app: string, mountPath: string, handlers: string[]) => `${app}.use(${quote(mountPath)}, ${handlers.join(', ')})${end}`,
    awaitLine: (connect: string) => `await ${connect}()${end}`,
    comment: (text: string) => `// ${text}`,
  };
}

interface Edit {
  offset: number;
  text: string;
}

/** Offsets and line geometry of the original source, for placing whole lines next to statements. */
class SourceText {
  private readonly commentEnds = new Map<number, number>();
  private readonly eol: string;

  constructor(
    private readonly source: string,
    ast: t.File,
    fallbackEol: string,
  ) {
    for (const comment of ast.comments ?? []) this.commentEnds.set(startOf(comment), endOf(comment));
    // The file's own line ending wins over the project's: a CRLF file stays CRLF throughout.
    this.eol = /\r?\n/.exec(source)?.[0] ?? fallbackEol;
  }

  /** New lines after `statement`, past any comment that trails it on its line, indented like it. */
  insertAfter(statement: t.Node, lines: string[]): Edit {
    const indent = this.indentOf(statement);
    const pos = this.skipComments(endOf(statement), /[ \t]/);
    const block = this.guardAsi(lines, pos).map((line) => this.eol + indent + line).join('');
    const lineEnds = pos === this.source.length || this.source[pos] === '\n' || this.source[pos] === '\r';
    // More code on the same line (`a(); b();`): break the line so the new statements and `b();` stand alone.
    return { offset: pos, text: lineEnds ? block : block + this.eol + indent };
  }

  /** New lines before `statement`, indented like it. */
  insertBefore(statement: t.Node, lines: string[]): Edit {
    const indent = this.indentOf(statement);
    const start = startOf(statement);
    const lineStart = this.lineStart(start);
    const guarded = this.guardAsi(lines, start);
    if (/^[ \t]*$/.test(this.source.slice(lineStart, start))) {
      return { offset: lineStart, text: guarded.map((line) => indent + line + this.eol).join('') };
    }
    return { offset: start, text: guarded.map((line) => line + this.eol + indent).join('') };
  }

  /**
   * Without semicolons, code that follows our last line and starts with `(`, `[`, `` ` ``, `+`, `-` or `/`
   * would continue our statement (`app.use(…)\n(async () => …)()` is one call). End our line explicitly then.
   */
  private guardAsi(lines: string[], followingOffset: number): string[] {
    const last = lines.at(-1);
    if (last === undefined || last.endsWith(';')) return lines;
    const next = this.source[this.skipComments(followingOffset, /\s/)];
    return next !== undefined && '([`+-/'.includes(next) ? [...lines.slice(0, -1), `${last};`] : lines;
  }

  /** First offset from `pos` that is neither a comment nor a character matching `space`. */
  private skipComments(pos: number, space: RegExp): number {
    for (;;) {
      while (pos < this.source.length && space.test(this.source[pos] ?? '')) pos++;
      const commentEnd = this.commentEnds.get(pos);
      if (commentEnd === undefined) return pos;
      pos = commentEnd;
    }
  }

  private lineStart(offset: number): number {
    return this.source.lastIndexOf('\n', offset - 1) + 1;
  }

  private indentOf(node: t.Node): string {
    const start = startOf(node);
    return /^[ \t]*/.exec(this.source.slice(this.lineStart(start), start))?.[0] ?? '';
  }
}

/** Applies insertions from the end so earlier offsets stay valid; same-offset edits keep their order. */
function applyEdits(source: string, edits: Edit[]): string {
  const ordered = edits.map((edit, index) => ({ edit, index })).sort((a, b) => b.edit.offset - a.edit.offset || b.index - a.index);
  let result = source;
  for (const { edit } of ordered) result = result.slice(0, edit.offset) + edit.text + result.slice(edit.offset);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Small node helpers

function isIdentifier(node: t.Node | undefined, name: string): boolean {
  if (!node) return false;
  const inner = unwrap(node);
  return inner.type === 'Identifier' && inner.name === name;
}

function trimSlash(path: string): string {
  return path.replace(/\/+$/, '');
}
