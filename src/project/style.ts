import fs from 'node:fs';
import path from 'node:path';
import type { File } from '@babel/types';
import { walk } from '../patch/ast.js';
import { detectEol } from '../patch/text.js';
import type { CodeStyle } from './types.js';
import { readJsonFile } from '../textFile.js';

const DEFAULT_STYLE: CodeStyle = { eol: '\n', indent: '  ', quote: "'", semicolons: true };

/** Prettier's own defaults, which apply to every key a Prettier config leaves out. */
const PRETTIER_DEFAULTS = { singleQuote: false, semi: true };

/**
 * The app's code style, so what we add blends in. Stated configuration wins over what the entry file
 * shows: a Prettier config (`.prettierrc`, `.prettierrc.json`/`.yaml`/`.yml`, or package.json `prettier`;
 * JavaScript configs such as prettier.config.js are not evaluated) decides quotes, semicolons and
 * indentation; `.editorconfig` decides indentation and line endings where Prettier is silent; the entry
 * file fills in the rest.
 */
export function detectStyle(source: string | undefined, ast: File | undefined, where?: { root: string; file: string; top?: string }): CodeStyle {
  const inferred = inferStyle(source, ast);
  if (!where) return inferred;
  const editor = readEditorConfig(where.root, where.file);
  const prettier = findPrettierConfig(where.root, where.top ?? where.root);
  const style = { ...inferred };
  if (editor.indent !== undefined) style.indent = editor.indent;
  if (editor.eol !== undefined) style.eol = editor.eol;
  if (prettier) {
    style.quote = (prettier.singleQuote ?? PRETTIER_DEFAULTS.singleQuote) ? "'" : '"';
    style.semicolons = prettier.semi ?? PRETTIER_DEFAULTS.semi;
    if (prettier.useTabs === true) style.indent = '\t';
    else if (prettier.useTabs === false || prettier.tabWidth !== undefined) {
      style.indent = ' '.repeat(prettier.tabWidth ?? (style.indent === '\t' ? 2 : style.indent.length));
    }
    if (prettier.endOfLine === 'lf') style.eol = '\n';
    if (prettier.endOfLine === 'crlf') style.eol = '\r\n';
  }
  return style;
}

function inferStyle(source: string | undefined, ast: File | undefined): CodeStyle {
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

// ---- Prettier ------------------------------------------------------------------------------------------

interface PrettierOptions {
  singleQuote?: boolean;
  semi?: boolean;
  useTabs?: boolean;
  tabWidth?: number;
  endOfLine?: string;
}

const PRETTIER_FILES = ['.prettierrc', '.prettierrc.json', '.prettierrc.json5', '.prettierrc.yaml', '.prettierrc.yml'];

/**
 * As Prettier looks for its config: from the app's folder up, here as far as `top` (a workspace root keeps
 * one `.prettierrc` for every member).
 */
function findPrettierConfig(root: string, top: string): PrettierOptions | undefined {
  for (let dir = root; ; dir = path.dirname(dir)) {
    const found = readPrettierConfig(dir);
    if (found) return found;
    if (dir === top || path.dirname(dir) === dir || path.relative(top, dir).startsWith('..')) return undefined;
  }
}

/** The Prettier options in one folder, if it has a config file we can read without running code. */
export function readPrettierConfig(root: string): PrettierOptions | undefined {
  for (const name of PRETTIER_FILES) {
    const file = path.join(root, name);
    if (fs.existsSync(file)) return pickPrettier(parseLooseConfig(fs.readFileSync(file, 'utf8')));
  }
  try {
    const packageJson = readJsonFile(path.join(root, 'package.json')) as { prettier?: unknown };
    if (typeof packageJson.prettier === 'object' && packageJson.prettier !== null) {
      return pickPrettier(packageJson.prettier as Record<string, unknown>);
    }
  } catch {
    // No readable package.json: no Prettier settings from it.
  }
  return undefined;
}

/** JSON, or the flat `key: value` YAML Prettier configs are written in. */
function parseLooseConfig(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // Not JSON: read it as flat YAML below.
  }
  const result: Record<string, unknown> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*"?([A-Za-z]+)"?\s*:\s*("?)([^"#,]*?)\2\s*,?\s*(?:#.*)?$/.exec(line);
    if (!match?.[1]) continue;
    const raw = match[3] ?? '';
    result[match[1]] = raw === 'true' ? true : raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return result;
}

function pickPrettier(config: Record<string, unknown>): PrettierOptions {
  const options: PrettierOptions = {};
  if (typeof config.singleQuote === 'boolean') options.singleQuote = config.singleQuote;
  if (typeof config.semi === 'boolean') options.semi = config.semi;
  if (typeof config.useTabs === 'boolean') options.useTabs = config.useTabs;
  if (typeof config.tabWidth === 'number' && config.tabWidth > 0 && config.tabWidth <= 8) options.tabWidth = config.tabWidth;
  if (typeof config.endOfLine === 'string') options.endOfLine = config.endOfLine;
  return options;
}

// ---- EditorConfig --------------------------------------------------------------------------------------

/**
 * Indentation and line ending for `file` from .editorconfig files between the app root and the nearest
 * `root = true` above it. Sections apply in file order; nearer files win.
 */
export function readEditorConfig(root: string, file: string): { indent?: string; eol?: '\n' | '\r\n' } {
  const files: string[] = [];
  for (let dir = root; ; dir = path.dirname(dir)) {
    const config = path.join(dir, '.editorconfig');
    if (fs.existsSync(config)) {
      files.unshift(config);
      if (/^\s*root\s*=\s*true\s*$/im.test(fs.readFileSync(config, 'utf8').split(/^\s*\[/m)[0] ?? '')) break;
    }
    if (path.dirname(dir) === dir) break;
  }
  const settings: Record<string, string> = {};
  for (const config of files) {
    let applies = false;
    for (const line of fs.readFileSync(config, 'utf8').split(/\r?\n/)) {
      const section = /^\s*\[(.*)\]\s*$/.exec(line);
      if (section) {
        applies = globMatches(section[1] ?? '', path.relative(path.dirname(config), file).split(path.sep).join('/'));
        continue;
      }
      const pair = /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/i.exec(line);
      if (applies && pair?.[1] && pair[2]) settings[pair[1].toLowerCase()] = pair[2].toLowerCase();
    }
  }
  const result: { indent?: string; eol?: '\n' | '\r\n' } = {};
  if (settings.indent_style === 'tab') result.indent = '\t';
  else if (settings.indent_style === 'space' || settings.indent_size) {
    const size = Number(settings.indent_size);
    if (Number.isInteger(size) && size > 0 && size <= 8) result.indent = ' '.repeat(size);
  }
  if (settings.end_of_line === 'lf') result.eol = '\n';
  if (settings.end_of_line === 'crlf') result.eol = '\r\n';
  return result;
}

/** EditorConfig section globs: `*`, `**`, `{a,b}`, `?`. A glob without `/` matches the basename anywhere. */
function globMatches(glob: string, relativePath: string): boolean {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] ?? '';
    if (char === '*' && glob[i + 1] === '*') {
      pattern += '.*';
      i++;
    } else if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else if (char === '{') pattern += '(?:';
    else if (char === '}') pattern += ')';
    else if (char === ',' && pattern.includes('(?:')) pattern += '|';
    else pattern += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  const anchored = glob.includes('/') ? `^${pattern.replace(/^\\\//, '')}$` : `(?:^|/)${pattern}$`;
  return new RegExp(anchored).test(relativePath);
}
