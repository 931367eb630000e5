import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parse, type ParseError } from 'jsonc-parser';

/** The compiler options that decide how generated code must be written, after following `extends`. */
export interface TsOptions {
  module: string | undefined;
  moduleResolution: string | undefined;
  target: string | undefined;
  esModuleInterop: boolean | undefined;
  paths: Record<string, string[]> | undefined;
  rootDir: string | undefined;
  /** Absolute: where tsc writes the compiled files (relative to the tsconfig that set it, as tsc reads it). */
  outDir: string | undefined;
  /** TypeScript 5.7+: relative imports are written with `.ts` and rewritten to `.js` on emit. */
  rewriteRelativeImportExtensions: boolean | undefined;
}

interface RawTsconfig {
  extends?: string | string[];
  compilerOptions?: Record<string, unknown>;
}

/** Reads a tsconfig (JSON with comments), following `extends` chains; later files win, as in tsc. */
export function readTsOptions(tsconfigPath: string): TsOptions {
  const merged = collect(tsconfigPath, new Set());
  const str = (key: string) => (typeof merged[key] === 'string' ? (merged[key] as string).toLowerCase() : undefined);
  return {
    module: str('module'),
    moduleResolution: str('moduleResolution'),
    target: str('target'),
    esModuleInterop: typeof merged.esModuleInterop === 'boolean' ? merged.esModuleInterop : undefined,
    paths: isRecord(merged.paths) ? (merged.paths as Record<string, string[]>) : undefined,
    rootDir: typeof merged.rootDir === 'string' ? merged.rootDir : undefined,
    outDir: typeof merged[OUT_DIR] === 'string' ? merged[OUT_DIR] : undefined,
    rewriteRelativeImportExtensions: typeof merged.rewriteRelativeImportExtensions === 'boolean' ? merged.rewriteRelativeImportExtensions : undefined,
  };
}

function collect(file: string, seen: Set<string>): Record<string, unknown> {
  if (seen.has(file)) return {};
  seen.add(file);
  const raw = readJsonc(file);
  const bases = raw.extends === undefined ? [] : Array.isArray(raw.extends) ? raw.extends : [raw.extends];
  let options: Record<string, unknown> = {};
  for (const base of bases) {
    const resolved = resolveExtends(base, path.dirname(file));
    if (resolved) options = { ...options, ...collect(resolved, seen) };
  }
  const own = { ...(raw.compilerOptions ?? {}) };
  if (typeof own.outDir === 'string') own[OUT_DIR] = path.resolve(path.dirname(file), own.outDir);
  return { ...options, ...own };
}

/** outDir resolved against the file that declared it (an `extends` base may sit in another folder). */
const OUT_DIR = '\0outDirAbsolute';

function readJsonc(file: string): RawTsconfig {
  const errors: ParseError[] = [];
  const value: unknown = parse(fs.readFileSync(file, 'utf8'), errors, { allowTrailingComma: true });
  return isRecord(value) ? (value as RawTsconfig) : {};
}

/** `extends` may name a relative file (with or without .json) or a package such as `@tsconfig/node20`. */
function resolveExtends(specifier: string, fromDir: string): string | undefined {
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    const candidate = path.resolve(fromDir, specifier);
    for (const file of [candidate, `${candidate}.json`, path.join(candidate, 'tsconfig.json')]) {
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
    }
    return undefined;
  }
  const require = createRequire(path.join(fromDir, 'noop.js'));
  for (const request of [specifier, `${specifier}.json`, `${specifier}/tsconfig.json`]) {
    try {
      return require.resolve(request);
    } catch {
      // Try the next form; an unresolvable base simply contributes nothing.
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
