export type PackageManagerName = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** Code style of the target app, read once by detection and followed by every generated or patched line. */
export interface CodeStyle {
  eol: '\n' | '\r\n';
  /** One level of indentation: '  ', '    ' or '\t'. */
  indent: string;
  quote: "'" | '"';
  semicolons: boolean;
}

export interface ServerEntry {
  /** Absolute path of the file that calls `express()`. */
  path: string;
  /** Name of the variable holding the express app (`app` in `const app = express()`), if found. */
  appVariable: string | undefined;
}

/** Everything the pipeline needs to know about the target app. Produced by `detectProject`, read-only after. */
export interface ProjectInfo {
  /** Absolute directory holding the app's package.json. */
  root: string;
  packageJsonPath: string;
  /** Parsed package.json as found. */
  packageJson: Record<string, unknown>;
  language: 'ts' | 'js';
  /** Module system the compiled/running code uses. */
  moduleSystem: 'esm' | 'cjs';
  /** Source syntax of the app's files: `import` statements or `require` calls. */
  sourceSyntax: 'import' | 'require';
  /**
   * Suffix the generated files' relative imports carry: '.js' under NodeNext/Node16 and JavaScript ESM,
   * '.mjs'/'.cjs' when the app's files use those extensions, '.ts' when the app imports its own files by
   * their TypeScript names (Node's type stripping, rewriteRelativeImportExtensions), '' for CommonJS and
   * bundler resolution.
   */
  importExtension: '' | '.js' | '.ts' | '.mjs' | '.cjs';
  /** Extension of the generated files: '.ts' for TypeScript apps, else the entry's JavaScript extension. */
  outputExtension: '.ts' | '.js' | '.mjs' | '.cjs';
  /**
   * Whether default imports of CommonJS packages work (`import express from 'express'`): false only for
   * TypeScript compiled to CommonJS without `esModuleInterop`, where `import x = require('x')` is needed.
   */
  esModuleInterop: boolean;
  /** Whether `await` may stand at the top level of the entry module (ESM, and a TS module/target that allow it). */
  topLevelAwait: boolean;
  /** Absolute source directory (`<root>/src` or `<root>`). */
  srcDir: string;
  entry: ServerEntry | undefined;
  /** Why no entry was found, when `entry` is undefined. */
  entryProblem: string | undefined;
  expressMajor: number | undefined;
  packageManager: { name: PackageManagerName; reason: string };
  /** Set when the app is a member of a workspace (npm/yarn `workspaces`, pnpm-workspace.yaml): its root. */
  workspaceRoot: string | undefined;
  style: CodeStyle;
  /** dependencies ∪ devDependencies (name → range). */
  dependencies: Record<string, string>;
  /** Path of the tsconfig that applies, if any. */
  tsconfigPath: string | undefined;
  /** The port the app listens on when started as it is (PORT in .env, else the code's default), for next steps. */
  port: number | undefined;
}
