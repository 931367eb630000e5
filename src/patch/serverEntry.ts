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
 * Finds `const <x> = express()` (also `express().use(...)` chains), preferring one at the top level; failing
 * that, `this.app = express()` (appVariable `this.app`: the file is the entry, but is patched by hand).
 * Returns undefined when the file never stores the result of `express()`.
 * Throws SourceSyntaxError (message `file:line:col: detail`) when the file cannot be parsed.
 */
/**
 * Whether the file mounts the component's router by hand: it imports `authRouter` from a module whose path
 * ends in `routerModule` (`routes/auth`, with any extension) and passes it to a `.use(…)`. Such a file is
 * the entry even when it does not create the app itself.
 */
export function mountsRouterByHand(source: string, filename: string, routerModule: string): boolean {
  const program = parseSource(source, filename).program;
  for (const statement of program.body) {
    const specifiers =
      statement.type === 'ImportDeclaration'
        ? [statement.source.value]
        : statement.type === 'VariableDeclaration'
          ? statement.declarations.map((d) => requireSpecifier(d.init)).filter((s): s is string => s !== undefined)
          : [];
    for (const specifier of specifiers) {
      const bare = specifier.replace(/\.[cm]?[jt]s$/, '').replace(/\/index$/, '');
      if (!/^\.\.?\//.test(specifier) || !bare.endsWith(`/${routerModule}`)) continue;
      const local = importedBinding(program, specifier, ROUTER_EXPORT);
      if (local && findRouterMount(program, local)) return true;
    }
  }
  return false;
}

export function findExpressApp(source: string, filename: string): ExpressAppLocation | undefined {
  const found = locateApp(parseSource(source, filename));
  if (found.kind === 'member') return { appVariable: found.expression, callStart: found.callStart, topLevel: false };
  if (found.kind !== 'app') return undefined;
  const { appVariable, callStart, topLevel } = found.app;
  return { appVariable, callStart, topLevel };
}

export function patchServerEntry(source: string, filename: string, options: EntryPatchOptions): EntryPatchResult {
  const render = lineRenderer(options.style, options.syntax);
  // Top-level await only exists in ES modules; a `require` or .cjs/.cts file is CommonJS whatever the caller thinks.
  const wantsConnect = options.awaitConnect && options.syntax === 'import' && !/\.c[jt]s$/i.test(filename);
  const unsupported = (reason: string, appVariable = 'app', routerLocal = ROUTER_EXPORT, connect = wantsConnect): EntryPatchResult => ({
    status: 'unsupported',
    reason,
    manual: [
      render.importLine([ROUTER_EXPORT, ERROR_HANDLER_EXPORT], options.routerImport),
      ...(connect ? [render.importLine([CONNECT_EXPORT], options.connectImport)] : []),
      render.mountLine(appVariable, options.mountPath, [routerLocal, ERROR_HANDLER_EXPORT]),
      ...(connect ? [render.awaitLine(CONNECT_EXPORT)] : []),
    ],
  });

  let ast: t.File;
  try {
    ast = parseSource(source, filename);
  } catch (error) {
    if (error instanceof SourceSyntaxError) return unsupported(`cannot parse ${error.message}`);
    throw error;
  }

  const program = ast.program;
  const routerLocal = importedBinding(program, options.routerImport, ROUTER_EXPORT);
  const errorHandlerLocal = importedBinding(program, options.routerImport, ERROR_HANDLER_EXPORT);
  const connectLocal = importedBinding(program, options.connectImport, CONNECT_EXPORT);
  // The generated router passed to any `.use(…)`, on any path: mounted (maybe by hand, maybe moved), so done.
  const mountStatement = routerLocal ? findRouterMount(program, routerLocal) : undefined;

  const located = locateApp(ast);
  // The lines were added by hand (a shape we cannot patch, or an app created elsewhere): nothing to do.
  if (located.kind !== 'app' && mountStatement) return { status: 'unchanged', source };
  if (located.kind === 'none') return unsupported(`${filename} never calls express()`);
  if (located.kind === 'unbound') {
    return unsupported(`${filename} calls express() without storing the app in a variable (\`const app = express()\`)`);
  }
  if (located.kind === 'member') {
    return unsupported(
      `${filename} creates the app as \`${located.expression}\` (inside a class), where the right spot for the mount is a matter of your code's structure`,
      located.expression,
      ROUTER_EXPORT,
      false, // no top-level await inside a class; the router connects at start-up by itself
    );
  }
  const { app } = located;

  const foreign = mountStatement ? undefined : findPathMount(program, app.appVariable, options.mountPath);
  if (foreign) {
    // Two routers on one path: the first one answers every route it has, so the generated routes would be
    // shadowed (or would shadow it). A human decides which one owns the path.
    return unsupported(
      `${filename} already mounts ${foreign} at ${options.mountPath}. Move it to another path (e.g. /api/sso) or remove it, or add the lines below on a path of your choice`,
      app.appVariable,
    );
  }
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

type Located = { kind: 'app'; app: LocatedApp } | { kind: 'member'; expression: string; callStart: number } | { kind: 'unbound' } | { kind: 'none' };

function locateApp(ast: t.File): Located {
  const names = expressNames(ast.program);
  const isExpressCall = (node: t.Node): boolean => {
    if (node.type !== 'CallExpression') return false;
    const callee = unwrap(node.callee);
    if (callee.type === 'Identifier' && names.has(callee.name)) return true;
    // `ex.default()` after `import * as ex from 'express'`.
    if (callee.type === 'MemberExpression' && dottedName(callee.property) === 'default') {
      const object = unwrap(callee.object);
      if (object.type === 'Identifier' && names.has(object.name)) return true;
    }
    return requireSpecifier(callee) === 'express';
  };

  /** `express()` itself or a chain starting from it: `express().use(cors())`, `require('express')()`. */
  const appCall = (init: t.Node): t.CallExpression | undefined => {
    // `var app = module.exports = express()` (Express's own examples): the value is the rightmost one.
    let value = unwrap(init);
    while (value.type === 'AssignmentExpression' && value.operator === '=') value = unwrap(value.right);
    const { calls: chain } = callChain(value);
    const first = chain[0] && requireSpecifier(chain[0]) === 'express' ? chain[1] : chain[0];
    return first && isExpressCall(first) ? first : undefined;
  };

  let calls = 0;
  let member: { expression: string; callStart: number } | undefined;
  const apps: LocatedApp[] = [];
  walk(ast.program, (node, ancestors) => {
    if (isExpressCall(node)) calls++;
    // `this.app = express()` in a class: found, so the file counts as the entry, but not patched by position.
    if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression' && !member) {
      const call = appCall(node.right);
      const expression = dottedName(node.left);
      if (call && expression) member = { expression, callStart: startOf(call) };
    }
    // `private readonly app = express();` as a class field: `this.app` too.
    if ((node.type === 'ClassProperty' || node.type === 'ClassPrivateProperty') && node.value && !member) {
      const call = appCall(node.value);
      const key = node.key.type === 'Identifier' ? node.key.name : node.key.type === 'PrivateName' ? `#${node.key.id.name}` : undefined;
      if (call && key) member = { expression: `this.${key}`, callStart: startOf(call) };
    }
    let variable: string | undefined;
    let first: t.CallExpression | undefined;
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && node.init) {
      variable = node.id.name;
      first = appCall(node.init);
    } else if (node.type === 'ExpressionStatement') {
      // `let app; … app = express();`
      const expression = unwrap(node.expression);
      if (expression.type === 'AssignmentExpression' && expression.left.type === 'Identifier') {
        variable = expression.left.name;
        first = appCall(expression.right);
      }
    }
    if (!variable || !first) return;
    let blockIndex = ancestors.length - 1;
    while (blockIndex >= 0 && ancestors[blockIndex]?.type !== 'Program' && ancestors[blockIndex]?.type !== 'BlockStatement') blockIndex--;
    const block = ancestors[blockIndex] as t.Program | t.BlockStatement | undefined;
    const statement = (ancestors[blockIndex + 1] ?? node) as t.Statement;
    const topStatement = (ancestors[1] ?? node) as t.Statement;
    if (!block) return;
    apps.push({
      appVariable: variable,
      callStart: startOf(first),
      topLevel: block.type === 'Program',
      body: block.body,
      statement,
      topStatement,
    });
  });
  // Sub-apps are sometimes created inside helpers; the one at the top level is the server's. Of several at
  // the top level, one mounted into another (`app.use('/api', api)`) is a sub-app: its routes would end up
  // under the other's prefix.
  const topLevel = apps.filter((a) => a.topLevel);
  const mounted = mountedApps(ast.program, new Set(apps.map((a) => a.appVariable)));
  const app = topLevel.find((a) => !mounted.has(a.appVariable)) ?? topLevel[0] ?? apps[0];
  if (app) return { kind: 'app', app };
  if (member) return { kind: 'member', ...member };
  return calls > 0 ? { kind: 'unbound' } : { kind: 'none' };
}

/** Local names bound to the express module: default, namespace, `{ default as e }`, `require('express')`. */
/** Apps passed to another app's `.use(…)`: `app.use('/api', api)` makes `api` a sub-app. */
function mountedApps(program: t.Program, appNames: Set<string>): Set<string> {
  const mounted = new Set<string>();
  walk(program, (node) => {
    if (node.type !== 'CallExpression' || methodName(node) !== 'use') return;
    const owner = unwrap((unwrap(node.callee) as t.MemberExpression).object);
    if (owner.type !== 'Identifier' || !appNames.has(owner.name)) return;
    for (const argument of node.arguments) {
      const value = unwrap(argument);
      if (value.type === 'Identifier' && value.name !== owner.name && appNames.has(value.name)) mounted.add(value.name);
    }
  });
  return mounted;
}

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
 * before the first "boundary": a terminal handler, the server starting to listen, or a return. Statements
 * in between that do not touch the app (`const PORT = …`, `module.exports = app`, `const server =
 * http.createServer(app)`) do not move it: none of them lets a request in, and middleware set up after
 * them (CORS, `trust proxy`) must apply to the auth routes too.
 */
function mountPoint(app: LocatedApp, mountPath: string): { after: t.Statement; description: string } {
  const { body, statement, appVariable } = app;
  const context: ClassifyContext = { app: appVariable, mountPath, servers: new Set(), functions: localFunctions(body) };
  let after = statement;
  let afterSetup = false;
  let sawRoutes = false;
  for (let i = body.indexOf(statement) + 1; i < body.length; i++) {
    const candidate = body[i];
    if (!candidate) break;
    const role = classify(candidate, context);
    if (role.kind === 'boundary') return { after, description: `before ${role.what}` };
    // `app.use(middleware.unknownEndpoint); app.use(middleware.errorHandler);`: a handler we cannot see into,
    // right in front of the error handler, is the 404 handler in all but name.
    const opaque = role.kind === 'setup' && sawRoutes ? opaqueHandlerName(candidate, appVariable, context.functions) : undefined;
    sawRoutes ||= mountsRoutes(candidate, appVariable);
    const next = body[i + 1];
    if (opaque && next) {
      const following = classify(next, { ...context, servers: new Set(context.servers) });
      if (following.kind === 'boundary' && following.what === 'the error handler') {
        return { after, description: `before \`${opaque}\` (in front of your error handler, so taken for your 404 handler)` };
      }
    }
    if (role.kind === 'setup') {
      after = candidate;
      afterSetup = true;
    }
  }
  return { after, description: afterSetup ? 'after the last middleware and routes' : `right after the ${appVariable} is created` };
}

/** `app.use('/path', …)` or `app.get(…)`: routes, after which a pathless handler may be the 404 one. */
function mountsRoutes(statement: t.Statement, app: string): boolean {
  if (statement.type !== 'ExpressionStatement') return false;
  const { root, calls } = callChain(unwrap(statement.expression));
  if (!isIdentifier(root, app)) return false;
  return calls.some((call) => {
    const method = methodName(call);
    if (method === 'use') return call.arguments[0] !== undefined && stringValue(call.arguments[0]) !== undefined;
    return method !== undefined && ROUTE_METHODS.has(method);
  });
}

/** `app.use(x)` / `app.use(mod.x)` with one handler given by name (imported: we cannot see its body). */
function opaqueHandlerName(statement: t.Statement, app: string, functions: Map<string, t.Function>): string | undefined {
  if (statement.type !== 'ExpressionStatement') return undefined;
  const expression = unwrap(statement.expression);
  if (expression.type !== 'CallExpression' || methodName(expression) !== 'use' || expression.arguments.length !== 1) return undefined;
  if (!isIdentifier(unwrap((unwrap(expression.callee) as t.MemberExpression).object), app)) return undefined;
  const handler = unwrap(expression.arguments[0] as t.Node);
  if (handler.type === 'Identifier' && functions.has(handler.name)) return undefined; // its body was looked at
  if (handler.type !== 'Identifier' && handler.type !== 'MemberExpression') return undefined;
  return dottedName(handler);
}

interface ClassifyContext {
  app: string;
  mountPath: string;
  /** Variables holding `http.createServer(app)`: their `listen` starts the server. */
  servers: Set<string>;
  /** Functions declared in the app's block, by name, so `app.use(notFound)` can be looked into. */
  functions: Map<string, t.Function>;
}

function classify(statement: t.Statement, context: ClassifyContext): Role {
  const { app } = context;
  if (statement.type === 'ReturnStatement') return { kind: 'boundary', what: 'the return statement' };
  // Declared, not run here: a `function start() { app.listen() }` starts nothing at its position.
  if (statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') return { kind: 'other' };

  if (statement.type === 'ExpressionStatement') {
    let expression = unwrap(statement.expression);
    if (expression.type === 'AwaitExpression') expression = unwrap(expression.argument);
    const { root, calls } = callChain(expression);
    if (isIdentifier(root, app) && calls.length > 0) {
      for (const call of calls) {
        const terminal = terminalHandler(call, context);
        if (terminal) return { kind: 'boundary', what: `the ${terminal}` };
        if (methodName(call) === 'listen') return { kind: 'boundary', what: `${app}.listen` };
      }
    }
  }

  // `const server = http.createServer(app)` only wraps the app; its `listen` is the boundary.
  if (statement.type === 'VariableDeclaration') {
    for (const declarator of statement.declarations) {
      if (declarator.id.type === 'Identifier' && declarator.init && wrapsApp(declarator.init, app)) context.servers.add(declarator.id.name);
    }
  }

  // The server starts here, maybe nested: `if (require.main === module) app.listen()`, `db.then(() => app.listen())`.
  const starts = some(statement, (node) => {
    if (node.type !== 'CallExpression' || methodName(node) !== 'listen') return false;
    const object = unwrap((unwrap(node.callee) as t.MemberExpression).object);
    return isIdentifier(object, app) || [...context.servers].some((server) => isIdentifier(object, server)) || wrapsApp(object, app);
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

/** `http.createServer(app)`, `https.createServer(options, app)`, `createServer(app)`. */
function wrapsApp(node: t.Node, app: string): boolean {
  const inner = unwrap(node);
  return (
    inner.type === 'CallExpression' &&
    /(^|\.)createServer$/.test(dottedName(inner.callee) ?? '') &&
    inner.arguments.some((arg) => isIdentifier(arg, app))
  );
}

/** `function notFound(req, res, next) {…}` and `const notFound = (req, res, next) => {…}` in a block. */
function localFunctions(body: t.Statement[]): Map<string, t.Function> {
  const functions = new Map<string, t.Function>();
  for (const statement of body) {
    const declaration = statement.type === 'ExportNamedDeclaration' && statement.declaration ? statement.declaration : statement;
    if (declaration.type === 'FunctionDeclaration' && declaration.id) functions.set(declaration.id.name, declaration);
    if (declaration.type !== 'VariableDeclaration') continue;
    for (const declarator of declaration.declarations) {
      const init = declarator.init && unwrap(declarator.init);
      if (declarator.id.type === 'Identifier' && init && (init.type === 'ArrowFunctionExpression' || init.type === 'FunctionExpression')) {
        functions.set(declarator.id.name, init);
      }
    }
  }
  return functions;
}

const ROUTE_METHODS = new Set(['use', 'all', 'get', 'post', 'put', 'patch', 'delete', 'options', 'head']);

/**
 * Whether `app.<method>(…)` ends request handling for the mount path, so the mount has to come first.
 * Returns a label for the change list, or undefined.
 */
function terminalHandler(call: t.CallExpression, context: ClassifyContext): string | undefined {
  const { mountPath } = context;
  const method = methodName(call);
  if (!method || !ROUTE_METHODS.has(method)) return undefined;
  const [first, ...rest] = call.arguments;
  if (!first) return undefined;
  if (isCatchAllPath(first)) return 'catch-all route';
  // Only `use` runs for every path below its prefix; `app.get(fn)` is not a thing.
  if (method !== 'use') return undefined;
  const prefix = stringValue(first);
  if (prefix !== undefined) {
    if (!coversPath(prefix, mountPath)) return undefined;
    // A router on a parent path (`app.use('/api', apiRouter)`) sees /api/auth requests first: its own
    // catch-all or /auth routes would shadow ours. Middleware on that path (`cors()`) is not a router.
    const router = rest.map((handler) => dottedName(unwrap(handler))).find((name) => name !== undefined && ROUTER_NAME.test(name));
    if (trimSlash(prefix) !== '' && trimSlash(prefix) !== trimSlash(mountPath) && router) return `\`${router}\` on ${prefix}`;
    return firstTerminal(rest, context);
  }
  if (first.type === 'RegExpLiteral' || first.type === 'ArrayExpression') return undefined;
  return firstTerminal(call.arguments, context);
}

function firstTerminal(handlers: t.CallExpression['arguments'], context: ClassifyContext): string | undefined {
  for (const handler of handlers) {
    const kind = handlerKind(unwrap(handler), context);
    if (kind) return kind;
  }
  return undefined;
}

const ROUTER_NAME = /router|routes|api$/i;

// Names of imported handlers are all we can see of them; these are the names 404/error/fallback handlers get
// (`unknownEndpoint` is the Full Stack Open course's, and so in many apps).
const NOT_FOUND_NAME = /not.?found|404|unknown|no.?route|unmatched|missing.?route/i;
const ERROR_NAME = /error/i;
const FALLBACK_NAME = /fallback|catch.?all/i;

function handlerKind(handler: t.Node, context: ClassifyContext): string | undefined {
  if (handler.type === 'FunctionExpression' || handler.type === 'ArrowFunctionExpression') return functionKind(handler);
  if (handler.type === 'Identifier') {
    const local = context.functions.get(handler.name);
    if (local) return functionKind(local);
  }
  const name = dottedName(handler.type === 'CallExpression' ? handler.callee : handler);
  if (name === undefined) return undefined;
  if (NOT_FOUND_NAME.test(name)) return '404 handler';
  if (ERROR_NAME.test(name)) return 'error handler';
  if (FALLBACK_NAME.test(name)) return 'fallback handler';
  return undefined;
}

/**
 * Express tells error handlers apart by arity (4). A handler with `next` is a pass-through middleware only
 * if it calls `next()` without an argument or hands `next` on; one that only ever calls `next(error)`
 * (`next(createError.NotFound())`) or never calls it ends the request, like a 2-param handler.
 */
function functionKind(handler: t.Function): string | undefined {
  const params = handler.params.filter((p) => !(p.type === 'Identifier' && p.name === 'this'));
  if (params.some((p) => p.type === 'RestElement')) return undefined;
  if (params.length === 4) return 'error handler';
  if (params.length === 2) return '404 handler';
  const next = params[2];
  if (params.length !== 3 || next?.type !== 'Identifier') return undefined;
  let passesOn = false;
  walk(handler.body, (node, ancestors) => {
    if (passesOn || node.type !== 'Identifier' || node.name !== next.name) return;
    const parent = ancestors.at(-1);
    const forwardsError = parent?.type === 'CallExpression' && parent.callee === node && parent.arguments.length > 0;
    if (!forwardsError) passesOn = true;
  });
  return passesOn ? undefined : '404 handler';
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

/** The top-level statement holding a `.use(…, <router>, …)` call, if any. */
function findRouterMount(program: t.Program, router: string): t.Statement | undefined {
  let found: t.Statement | undefined;
  walk(program, (node, ancestors) => {
    if (found) return false;
    if (node.type !== 'CallExpression' || methodName(node) !== 'use') return;
    if (node.arguments.some((arg) => isIdentifier(arg, router))) found = (ancestors[1] ?? node) as t.Statement;
  });
  return found;
}

/** What the app already mounts on `mountPath` (`ssoRouter`, `a handler`), if anything. */
function findPathMount(program: t.Program, app: string, mountPath: string): string | undefined {
  let found: string | undefined;
  walk(program, (node) => {
    if (found) return false;
    if (node.type !== 'CallExpression' || methodName(node) !== 'use') return;
    const path = stringValue(node.arguments[0]);
    if (path === undefined || trimSlash(path) !== trimSlash(mountPath)) return;
    if (!isIdentifier(callChain(node).root, app)) return;
    const names = node.arguments.slice(1).map((arg) => dottedName(arg.type === 'CallExpression' ? arg.callee : arg));
    found = names.every((name) => name !== undefined) && names.length > 0 ? `\`${names.join(', ')}\`` : 'a handler';
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
