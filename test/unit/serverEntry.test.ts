import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CodeStyle } from '../../src/project/types.js';
import { SourceSyntaxError } from '../../src/patch/ast.js';
import { findExpressApp, mountsRouterByHand, patchServerEntry, type EntryPatchOptions, type EntryPatchResult } from '../../src/patch/serverEntry.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/entries/${name}`, import.meta.url)), 'utf8');

const STYLE: CodeStyle = { eol: '\n', indent: '  ', quote: "'", semicolons: true };

function options(overrides: Partial<EntryPatchOptions> = {}): EntryPatchOptions {
  return {
    routerImport: './routes/auth.js',
    connectImport: './services/auth.js',
    mountPath: '/api/auth',
    syntax: 'import',
    awaitConnect: false,
    style: STYLE,
    ...overrides,
  };
}

function patched(result: EntryPatchResult): { source: string; changes: string[] } {
  if (result.status !== 'patched') throw new Error(`expected patched, got ${JSON.stringify(result)}`);
  return result;
}

/** The lines `after` adds to `before`; fails when any original line was changed, dropped or reordered. */
function insertedLines(before: string, after: string): string[] {
  const original = before.split('\n');
  const inserted: string[] = [];
  let i = 0;
  for (const line of after.split('\n')) {
    if (i < original.length && line === original[i]) i++;
    else inserted.push(line);
  }
  expect(i, 'every original line survives, in order').toBe(original.length);
  return inserted;
}

/** Index of the first line of `source` containing `needle`. */
const lineOf = (source: string, needle: string): number => source.split('\n').findIndex((line) => line.includes(needle));

describe('patchServerEntry', () => {
  it('patches a TypeScript ESM entry that listens: imports, mount before listen, await', () => {
    const result = patched(patchServerEntry(fixture('ts-esm-listen.ts'), 'src/index.ts', options({ awaitConnect: true })));
    expect(result.source).toBe(`import 'dotenv/config';
import express, { type Request, type Response } from 'express';
import cors from 'cors';

import { healthRouter } from './routes/health.js';
import { authRouter, authErrorHandler } from './routes/auth.js';
import { connectAuth } from './services/auth.js';

const app = express();
const PORT = Number(process.env.PORT ?? 3000);

app.use(cors());
app.use(express.json()); // parse JSON bodies
app.use('/health', healthRouter);

app.get('/', (req: Request, res: Response) => {
  res.json({ ok: true });
});
app.use('/api/auth', authRouter, authErrorHandler);
// Open the auth store before the server accepts requests.
await connectAuth();

app.listen(PORT, () => {
  console.log(\`listening on \${PORT}\`);
});
`);
    expect(result.changes).toEqual([
      "import { authRouter, authErrorHandler } from './routes/auth.js'",
      "import { connectAuth } from './services/auth.js'",
      'mount /api/auth before app.listen',
      'await connectAuth() before the server starts',
    ]);
  });

  it('adds neither the connect import nor the await when awaitConnect is false', () => {
    const source = fixture('ts-esm-listen.ts');
    const result = patched(patchServerEntry(source, 'src/index.ts', options({ awaitConnect: false })));
    expect(insertedLines(source, result.source)).toEqual([
      "import { authRouter, authErrorHandler } from './routes/auth.js';",
      "app.use('/api/auth', authRouter, authErrorHandler);",
    ]);
  });

  it('patches an express-generator app.js: require syntax, mount before the 3-param 404 handler', () => {
    const source = fixture('express-generator-app.js');
    const result = patched(
      patchServerEntry(source, 'app.js', options({ syntax: 'require', routerImport: './routes/auth', awaitConnect: true })),
    );
    // No await in CommonJS, whatever the caller asked.
    expect(insertedLines(source, result.source)).toEqual([
      "const { authRouter, authErrorHandler } = require('./routes/auth');",
      "app.use('/api/auth', authRouter, authErrorHandler);",
    ]);
    const out = result.source;
    expect(lineOf(out, "require('./routes/auth')")).toBe(lineOf(out, "require('./routes/users')") + 1);
    expect(lineOf(out, "app.use('/api/auth'")).toBe(lineOf(out, "app.use('/users'") + 1);
    expect(lineOf(out, "app.use('/api/auth'")).toBeLessThan(lineOf(out, '// catch 404'));
    expect(lineOf(out, "app.use('/api/auth'")).toBeLessThan(lineOf(out, 'module.exports'));
    expect(result.changes).toContain('mount /api/auth before the 404 handler');
  });

  it('mounts before an Express 5 `/{*splat}` catch-all and keeps `export default app` last', () => {
    const source = fixture('express5-splat.mjs');
    const style: CodeStyle = { ...STYLE, semicolons: false };
    const result = patched(patchServerEntry(source, 'app.mjs', options({ style })));
    expect(result.source).toBe(`import express from 'express'
import morgan from 'morgan'
import { authRouter, authErrorHandler } from './routes/auth.js'

const app = express()
app.use(morgan('tiny'))
app.get('/ping', (req, res) => res.send('pong'))
app.use('/api/auth', authRouter, authErrorHandler)
app.use('/{*splat}', (req, res) => {
  res.status(404).json({ error: 'Not found' })
})

export default app
`);
  });

  it('patches a module that exports the app for a server started elsewhere', () => {
    const source = `import express from 'express';
import { usersRouter } from './routes/users.js';

const app = express();
app.use(express.json());
app.use('/users', usersRouter);

// server.ts calls app.listen()
export default app;
`;
    const result = patched(patchServerEntry(source, 'src/app.ts', options({ awaitConnect: true })));
    expect(insertedLines(source, result.source)).toEqual([
      "import { authRouter, authErrorHandler } from './routes/auth.js';",
      "import { connectAuth } from './services/auth.js';",
      "app.use('/api/auth', authRouter, authErrorHandler);",
      '// Open the auth store before the server accepts requests.',
      'await connectAuth();',
    ]);
    expect(lineOf(result.source, 'await connectAuth()')).toBeLessThan(lineOf(result.source, 'export default app'));
  });

  it('mounts inside a factory function, before the error handler and the return, without await', () => {
    const source = fixture('factory.ts');
    const result = patched(patchServerEntry(source, 'src/app.ts', options({ awaitConnect: true })));
    expect(result.source).toBe(`import express from 'express';
import { usersRouter } from './routes/users.js';
import { errorHandler } from './middleware/errors.js';
import { authRouter, authErrorHandler } from './routes/auth.js';

export function createApp() {
  const app = express();
  app.use(express.json());
  app.use('/users', usersRouter);
  app.use('/api/auth', authRouter, authErrorHandler);
  app.use(errorHandler);
  return app;
}
`);
  });

  it('indents with tabs when the block does', () => {
    const source = "import express from 'express';\n\nexport const createApp = () => {\n\tconst app = express();\n\tif (true) {\n\t\tapp.use(express.json());\n\t}\n\treturn app;\n};\n";
    const result = patched(patchServerEntry(source, 'app.ts', options()));
    expect(insertedLines(source, result.source)).toEqual([
      "import { authRouter, authErrorHandler } from './routes/auth.js';",
      "\tapp.use('/api/auth', authRouter, authErrorHandler);",
    ]);
    expect(lineOf(result.source, "app.use('/api/auth'")).toBe(lineOf(result.source, 'const app = express()') + 1);
  });

  it('inserts right after the app when there is no middleware at all', () => {
    const source = "const express = require('express');\nconst app = express();\n\napp.listen(3000);\n";
    const result = patched(patchServerEntry(source, 'index.js', options({ syntax: 'require', routerImport: './routes/auth' })));
    expect(result.source).toBe(
      "const express = require('express');\nconst { authRouter, authErrorHandler } = require('./routes/auth');\nconst app = express();\napp.use('/api/auth', authRouter, authErrorHandler);\n\napp.listen(3000);\n",
    );
    expect(result.changes).toContain('mount /api/auth before app.listen');
  });

  it('follows double quotes and no semicolons', () => {
    const source = 'import express from "express"\n\nconst app = express()\napp.use(express.json())\n\nexport default app\n';
    const style: CodeStyle = { eol: '\n', indent: '  ', quote: '"', semicolons: false };
    const result = patched(patchServerEntry(source, 'app.ts', options({ style, awaitConnect: true })));
    expect(result.source).toBe(
      'import express from "express"\nimport { authRouter, authErrorHandler } from "./routes/auth.js"\nimport { connectAuth } from "./services/auth.js"\n\nconst app = express()\napp.use(express.json())\napp.use("/api/auth", authRouter, authErrorHandler)\n// Open the auth store before the server accepts requests.\nawait connectAuth()\n\nexport default app\n',
    );
  });

  it('ends the inserted line with a semicolon when the next line would otherwise continue it', () => {
    const source = "import express from 'express'\nconst app = express()\napp.use(cors());\n(async () => {\n  await db.connect()\n})()\n";
    const style: CodeStyle = { ...STYLE, semicolons: false };
    const result = patched(patchServerEntry(source, 'app.mjs', options({ style })));
    expect(insertedLines(source, result.source)).toEqual([
      "import { authRouter, authErrorHandler } from './routes/auth.js'",
      "app.use('/api/auth', authRouter, authErrorHandler);",
    ]);
  });

  it('never adds top-level await to a CommonJS file', () => {
    const source = "import express from 'express';\nconst app = express();\nexport = app;\n";
    const result = patched(patchServerEntry(source, 'src/app.cts', options({ awaitConnect: true })));
    expect(result.source).not.toContain('await');
  });

  it('keeps a CRLF file CRLF everywhere', () => {
    const source = fixture('ts-esm-listen.ts').replace(/\n/g, '\r\n');
    // The project style says LF; the file's own line ending wins.
    const result = patched(patchServerEntry(source, 'src/index.ts', options({ awaitConnect: true })));
    expect(result.source.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(insertedLines(source.replace(/\r\n/g, '\n'), result.source.replace(/\r\n/g, '\n'))).toHaveLength(5);
  });

  it('keeps a missing final newline missing', () => {
    const source = "import express from 'express';\nconst app = express();\napp.use(express.json());";
    const result = patched(patchServerEntry(source, 'app.ts', options()));
    expect(result.source).toBe(
      "import express from 'express';\nimport { authRouter, authErrorHandler } from './routes/auth.js';\nconst app = express();\napp.use(express.json());\napp.use('/api/auth', authRouter, authErrorHandler);",
    );
  });

  it('keeps a comment that trails the anchor statement on its line', () => {
    const source = "import express from 'express'; // web framework\nconst app = express(); /* the app */\nexport default app;\n";
    const result = patched(patchServerEntry(source, 'app.ts', options()));
    expect(result.source).toBe(
      "import express from 'express'; // web framework\nimport { authRouter, authErrorHandler } from './routes/auth.js';\nconst app = express(); /* the app */\napp.use('/api/auth', authRouter, authErrorHandler);\nexport default app;\n",
    );
  });

  it('places imports after a shebang, "use strict" and leading comments when the file has none', () => {
    const source = "#!/usr/bin/env node\n'use strict';\n// Entry point\n\nfunction start() {\n  const express = require('express');\n  const app = express();\n  app.listen(3000);\n}\nstart();\n";
    const result = patched(patchServerEntry(source, 'bin/server.js', options({ syntax: 'require', routerImport: './routes/auth' })));
    expect(result.source).toBe(
      "#!/usr/bin/env node\n'use strict';\n// Entry point\n\nconst { authRouter, authErrorHandler } = require('./routes/auth');\nfunction start() {\n  const express = require('express');\n  const app = express();\n  app.use('/api/auth', authRouter, authErrorHandler);\n  app.listen(3000);\n}\nstart();\n",
    );
  });

  it('patches a file that starts with a byte order mark and a shebang, keeping both', () => {
    const source = "\uFEFF#!/usr/bin/env node\nimport express from 'express';\nconst app = express();\napp.use(express.json());\napp.listen(3000);\n";
    const result = patched(patchServerEntry(source, 'src/server.ts', options()));
    expect(result.source.startsWith('\uFEFF#!/usr/bin/env node\n')).toBe(true);
    expect(insertedLines(source, result.source)).toEqual([
      "import { authRouter, authErrorHandler } from './routes/auth.js';",
      "app.use('/api/auth', authRouter, authErrorHandler);",
    ]);
  });

  it("patches Express's own hello-world: `var app = module.exports = express()`", () => {
    const source = "var express = require('express');\n\nvar app = module.exports = express();\n\napp.get('/', function (req, res) {\n  res.send('Hello World');\n});\n\nif (!module.parent) {\n  app.listen(3000);\n}\n";
    const result = patched(patchServerEntry(source, 'index.js', options({ syntax: 'require', routerImport: './routes/auth' })));
    expect(insertedLines(source, result.source)).toEqual([
      "const { authRouter, authErrorHandler } = require('./routes/auth');",
      "app.use('/api/auth', authRouter, authErrorHandler);",
    ]);
    expect(lineOf(result.source, "app.use('/api/auth'")).toBe(lineOf(result.source, '});') + 1);
  });

  describe('a mount the user added or moved', () => {
    it('leaves any file alone once it mounts the router by hand, even one whose app is created elsewhere', () => {
      const source = "import { authRouter, authErrorHandler } from './routes/auth.js';\nexport function install(app) {\n  app.use('/api/auth', authRouter, authErrorHandler);\n}\n";
      expect(patchServerEntry(source, 'src/routes.ts', options())).toEqual({ status: 'unchanged', source });
      expect(mountsRouterByHand(source, 'src/routes.ts', 'routes/auth')).toBe(true);
      expect(mountsRouterByHand("import { authRouter } from './routes/auth.js';\n", 'src/x.ts', 'routes/auth')).toBe(false);
    });

    it('leaves a class-based app alone once the lines were added by hand', () => {
      const source = "import express from 'express';\nimport { authRouter, authErrorHandler } from './routes/auth.js';\nclass App {\n  constructor() {\n    this.app = express();\n    this.app.use(express.json());\n    this.app.use('/api/auth', authRouter, authErrorHandler);\n  }\n}\n";
      expect(patchServerEntry(source, 'src/app.ts', options())).toEqual({ status: 'unchanged', source });
    });

    it('does not mount the router a second time when the user moved it to another path', () => {
      const source = "import express from 'express';\nimport { authRouter } from './routes/auth.js';\nconst app = express();\napp.use('/v2/auth', authRouter);\napp.listen(3000);\n";
      expect(patchServerEntry(source, 'app.ts', options())).toEqual({ status: 'unchanged', source });
    });
  });

  describe('idempotence', () => {
    const cases: [string, string, Partial<EntryPatchOptions>][] = [
      ['ts-esm-listen.ts', 'src/index.ts', { awaitConnect: true }],
      ['ts-esm-listen.ts', 'src/index.ts', { awaitConnect: false }],
      ['express-generator-app.js', 'app.js', { syntax: 'require', routerImport: './routes/auth' }],
      ['express5-splat.mjs', 'app.mjs', { awaitConnect: true }],
      ['factory.ts', 'src/app.ts', { awaitConnect: true }],
    ];
    it.each(cases)('%s: a second run returns unchanged with the same string', (name, filename, overrides) => {
      const once = patched(patchServerEntry(fixture(name), filename, options(overrides)));
      const twice = patchServerEntry(once.source, filename, options(overrides));
      expect(twice).toEqual({ status: 'unchanged', source: once.source });
      if (twice.status === 'unchanged') expect(twice.source).toBe(once.source);
    });

    it('leaves a file that already mounts /api/auth (any quotes, with or without .js) untouched', () => {
      const source = 'import express from "express"\nimport { authRouter, authErrorHandler } from "./routes/auth"\nconst app = express()\napp.use("/api/auth", authRouter, authErrorHandler)\napp.listen(3000)\n';
      const result = patchServerEntry(source, 'index.ts', options());
      expect(result.status).toBe('unchanged');
      expect(result.status === 'unchanged' && result.source === source).toBe(true);
    });

    it('adds only the missing await (and its import) after an existing mount', () => {
      const source = "import express from 'express';\nimport { authRouter, authErrorHandler } from './routes/auth.js';\nconst app = express();\napp.use('/api/auth/', authRouter, authErrorHandler);\napp.listen(3000);\n";
      const result = patched(patchServerEntry(source, 'index.ts', options({ awaitConnect: true })));
      expect(result.source).toBe(
        "import express from 'express';\nimport { authRouter, authErrorHandler } from './routes/auth.js';\nimport { connectAuth } from './services/auth.js';\nconst app = express();\napp.use('/api/auth/', authRouter, authErrorHandler);\n// Open the auth store before the server accepts requests.\nawait connectAuth();\napp.listen(3000);\n",
      );
    });

    it('mounts an already imported router under its local name without importing it again', () => {
      const source = "import express from 'express';\nimport { authRouter as auth } from './routes/auth.ts';\nconst app = express();\napp.listen(3000);\n";
      const result = patched(patchServerEntry(source, 'index.ts', options()));
      expect(insertedLines(source, result.source)).toEqual(["app.use('/api/auth', auth);"]);
    });
  });

  describe('where the mount goes', () => {
    const mountAfter = (body: string): string => {
      const source = `import express from 'express';\nconst app = express();\n${body}`;
      const out = patched(patchServerEntry(source, 'app.ts', options())).source;
      const lines = out.split('\n');
      return lines[lineOf(out, "app.use('/api/auth'") - 1] ?? '';
    };

    it('goes before named 404 / error handlers', () => {
      expect(mountAfter('app.use(cors());\napp.use(notFound);\napp.use(errorHandler);\n')).toBe('app.use(cors());');
      expect(mountAfter('app.use(cors());\napp.use(handlers.errorHandler());\n')).toBe('app.use(cors());');
    });

    it('goes before an imported handler with an unknown name that stands right in front of the error handler', () => {
      // Full Stack Open's layout: `middleware.unknownEndpoint` answers 404, then the error handler.
      expect(mountAfter("app.use('/api/blogs', blogsRouter);\napp.use(middleware.unknownEndpoint);\napp.use(middleware.errorHandler);\n")).toBe(
        "app.use('/api/blogs', blogsRouter);",
      );
      expect(mountAfter("app.use('/api/blogs', blogsRouter);\napp.use(missingPage);\napp.use((err, req, res, next) => res.status(500).end());\n")).toBe(
        "app.use('/api/blogs', blogsRouter);",
      );
      // A local pass-through middleware there is looked into, not guessed at.
      expect(mountAfter("function log(req, res, next) { next(); }\napp.use(routes);\napp.use(log);\napp.use(errorHandler);\n")).toBe('app.use(log);');
    });

    it('goes before a router on a parent path (`/api`), which would see /api/auth requests first', () => {
      expect(mountAfter("app.use(express.json());\napp.use('/api', apiRouter);\napp.listen(3000);\n")).toBe('app.use(express.json());');
      // Middleware on the parent path is not a router: CORS for /api must cover the auth routes too.
      expect(mountAfter("app.use('/api', cors());\napp.use('/users', usersRouter);\napp.listen(3000);\n")).toBe("app.use('/users', usersRouter);");
      // A router on / (express-generator's indexRouter) does not move it.
      expect(mountAfter("app.use('/', indexRouter);\napp.use('/users', usersRouter);\napp.listen(3000);\n")).toBe("app.use('/users', usersRouter);");
    });

    it('goes before inline 2- and 4-param handlers', () => {
      expect(mountAfter('app.use(a);\napp.use((req, res) => res.sendStatus(404));\n')).toBe('app.use(a);');
      expect(mountAfter('app.use(a);\napp.use((err, req, res, next) => res.sendStatus(500));\n')).toBe('app.use(a);');
    });

    it('goes before catch-all routes, including an SPA fallback and regexes', () => {
      expect(mountAfter("app.use(a);\napp.all('*', notFound);\n")).toBe('app.use(a);');
      expect(mountAfter("app.use(a);\napp.get('*', (req, res) => res.sendFile('index.html'));\n")).toBe('app.use(a);');
      expect(mountAfter('app.use(a);\napp.all(/.*/, handler);\n')).toBe('app.use(a);');
      expect(mountAfter("app.use(a);\napp.use('*', handler);\n")).toBe('app.use(a);');
    });

    it('goes before a handler on a prefix of the mount path, not on an unrelated path', () => {
      expect(mountAfter("app.use(a);\napp.use('/api', (req, res) => res.sendStatus(404));\n")).toBe('app.use(a);');
      expect(mountAfter("app.use('/', indexRouter);\napp.use('/admin', (req, res) => res.end());\n")).toBe(
        "app.use('/admin', (req, res) => res.end());",
      );
    });

    it('counts route helpers that take the app and middleware chains as setup', () => {
      expect(mountAfter('app.use(a);\nregisterRoutes(app);\nconst PORT = 3000;\napp.listen(PORT);\n')).toBe('registerRoutes(app);');
      expect(mountAfter('app.use(a).use(b);\napp.listen(3000);\n')).toBe('app.use(a).use(b);');
    });

    it('goes after middleware set up once http.createServer(app) has wrapped the app, and before its listen', () => {
      // The socket.io shape: CORS and trust proxy come after the server is created and must cover the auth routes.
      expect(mountAfter("app.use(a);\nconst server = http.createServer(app);\napp.set('trust proxy', 1);\napp.use(b);\nserver.listen(3000);\napp.use(c);\n")).toBe('app.use(b);');
      expect(mountAfter('app.use(a);\nhttps.createServer(options, app).listen(443);\napp.use(b);\n')).toBe('app.use(a);');
    });

    it('goes after middleware that follows an export of the app', () => {
      expect(mountAfter('module.exports = app;\napp.use(a);\napp.use(b);\n')).toBe('app.use(b);');
      expect(mountAfter('app.use(a);\nexport default app;\n')).toBe('app.use(a);');
    });

    it('is not stopped by a function declared before the setup that listens when called later', () => {
      expect(mountAfter('function start() {\n  app.listen(3000);\n}\napp.use(a);\nstart();\n')).toBe('app.use(a);');
    });

    it('goes before a 3-param handler that only forwards an error, or never calls next', () => {
      expect(mountAfter('app.use(a);\napp.use(function (req, res, next) { next(createError.NotFound()); });\n')).toBe('app.use(a);');
      expect(mountAfter('app.use(a);\napp.use((req, res, next) => res.status(StatusCodes.NOT_FOUND).end());\n')).toBe('app.use(a);');
    });

    it('looks into handlers declared in the file', () => {
      const body = 'function notThere(req, res, next) {\n  next(new HttpError(404));\n}\nconst logger = (req, res, next) => { log(req); next(); };\napp.use(logger);\napp.use(notThere);\n';
      expect(mountAfter(body)).toBe('app.use(logger);');
    });

    it('does not stop at pass-through middleware with next', () => {
      expect(mountAfter('app.use((req, res, next) => { res.set("x", "1"); next(); });\napp.use(b);\napp.listen(1);\n')).toBe('app.use(b);');
      expect(mountAfter('app.use((req, res, next) => passport.authenticate("jwt")(req, res, next));\napp.use(b);\n')).toBe('app.use(b);');
    });

    it('breaks a line that holds more statements after the anchor', () => {
      expect(mountAfter('app.use(a); app.listen(3000);\n')).toBe('app.use(a); ');
    });

    it('goes before a nested listen', () => {
      expect(mountAfter('app.use(a);\nif (require.main === module) {\n  app.listen(3000);\n}\napp.use(b);\n')).toBe('app.use(a);');
    });
  });

  describe('unsupported', () => {
    it('reports a file that never calls express(), with the lines to add by hand', () => {
      const result = patchServerEntry("import http from 'node:http';\nhttp.createServer().listen(3000);\n", 'index.ts', options({ awaitConnect: true }));
      expect(result).toEqual({
        status: 'unsupported',
        reason: 'index.ts never calls express()',
        manual: [
          "import { authRouter, authErrorHandler } from './routes/auth.js';",
          "import { connectAuth } from './services/auth.js';",
          "app.use('/api/auth', authRouter, authErrorHandler);",
          'await connectAuth();',
        ],
      });
    });

    it('reports a syntax error with line:col', () => {
      const result = patchServerEntry("import express from 'express';\nconst app = express(;\n", 'src/index.ts', options());
      expect(result.status).toBe('unsupported');
      expect(result.status === 'unsupported' && result.reason).toMatch(/src\/index\.ts:2:\d+/);
      expect(result.status === 'unsupported' && result.manual).toContain("app.use('/api/auth', authRouter, authErrorHandler);");
    });

    it('reports an app that is never stored in a variable', () => {
      const result = patchServerEntry("import express from 'express';\nexport default express().use(cors());\n", 'app.ts', options());
      expect(result.status).toBe('unsupported');
    });

    it('reports a path the app already mounts another router on, naming it', () => {
      const source = "import express from 'express';\nimport { ssoRouter } from './routes/sso.js';\nconst app = express();\napp.use('/api/auth', ssoRouter);\napp.listen(3000);\n";
      const result = patchServerEntry(source, 'app.ts', options());
      expect(result.status).toBe('unsupported');
      expect(result.status === 'unsupported' && result.reason).toMatch(/already mounts `ssoRouter` at \/api\/auth/);
    });

    it('reports an app created as this.app in a class, with the lines to add using this.app', () => {
      const source = "import express from 'express';\nclass App {\n  app = express();\n  constructor() {\n    this.app = express();\n    this.app.use(express.json());\n  }\n}\nexport default new App().app;\n";
      const result = patchServerEntry(source, 'src/app.ts', options());
      expect(result.status).toBe('unsupported');
      expect(result.status === 'unsupported' && result.reason).toMatch(/this\.app/);
      expect(result.status === 'unsupported' && result.manual).toContain("this.app.use('/api/auth', authRouter, authErrorHandler);");
    });

    it('reports an authRouter that is declared by the file but not from the generated module', () => {
      const source = "import express from 'express';\nimport authRouter from './routes/login.js';\nconst app = express();\napp.use('/login', authRouter, authErrorHandler);\n";
      const result = patchServerEntry(source, 'app.ts', options());
      expect(result.status).toBe('unsupported');
    });
  });
});

describe('findExpressApp', () => {
  it.each([
    ["import express from 'express';\nconst app = express();", 'app'],
    ["import * as ex from 'express';\nconst server = ex();", 'server'],
    ["import { default as e } from 'express';\nlet api = e();", 'api'],
    ["const express = require('express');\nvar app = express();", 'app'],
    ["import express = require('express');\nconst app: express.Express = express();", 'app'],
    ["const app = require('express')();", 'app'],
    ["import express from 'express';\nexport const app = express().use(cors());", 'app'],
    // Express's own examples.
    ["var express = require('express');\nvar app = module.exports = express();", 'app'],
    ["import express from 'express';\nlet app;\napp = express();", 'app'],
    ["import * as ex from 'express';\nconst app = ex.default();", 'app'],
    // A sub-app mounted into the server app is not the server app.
    ["import express from 'express';\nconst api = express();\nconst app = express();\napp.use('/api', api);\napp.listen(3000);", 'app'],
  ])('finds the app in %j', (source, appVariable) => {
    const found = findExpressApp(source, 'app.ts');
    expect(found).toMatchObject({ appVariable, topLevel: true });
    expect(source.slice(found?.callStart)).toMatch(/^(\w+(\.default)?\(|require\('express'\)\()/);
  });

  it('finds an app created as a class field, as this.<field>', () => {
    expect(findExpressApp("import express from 'express';\nexport class Server {\n  private readonly app = express();\n}", 'app.ts')).toMatchObject({
      appVariable: 'this.app',
      topLevel: false,
    });
  });

  it('finds an app created as this.app in a class, as not top-level', () => {
    expect(findExpressApp("import express from 'express';\nclass App {\n  constructor() { this.app = express(); }\n}", 'app.ts')).toMatchObject({
      appVariable: 'this.app',
      topLevel: false,
    });
  });

  it('reports a factory as not top-level', () => {
    expect(findExpressApp(fixture('factory.ts'), 'app.ts')).toMatchObject({ appVariable: 'app', topLevel: false });
  });

  it('returns undefined without express()', () => {
    expect(findExpressApp("const x = require('koa')();", 'app.js')).toBeUndefined();
    expect(findExpressApp("import express from 'express';\nexport default express();", 'app.js')).toBeUndefined();
  });

  it('throws a SyntaxError carrying line and column', () => {
    let caught: unknown;
    try {
      findExpressApp('const a = 1;\nfoo(;\n', 'bad.js');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SyntaxError);
    expect(caught).toBeInstanceOf(SourceSyntaxError);
    expect(caught).toMatchObject({ line: 2, column: 5, message: expect.stringMatching(/^bad\.js:2:5: /) });
  });
});
