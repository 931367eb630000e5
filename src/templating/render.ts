import path from 'node:path';
import type * as t from '@babel/types';
import { parseSource } from '../patch/ast.js';
import type { ProjectInfo } from '../project/types.js';
import { applyCodeStyle } from './codeStyle.js';
import { applyEdits, indentAt, type Edit } from './edits.js';
import { stripTypes } from './stripTypes.js';
import { toCommonJs } from './toCommonJs.js';

export type RenderProject = Pick<ProjectInfo, 'language' | 'moduleSystem' | 'importExtension' | 'outputExtension' | 'esModuleInterop' | 'style'>;

/**
 * Turns a template (strict TypeScript, ES modules, relative imports with `.js`, single quotes, semicolons,
 * two-space indentation) into the file the app receives:
 * 1. relative imports get the suffix the app needs (`./x.js`, `./x`, `./x.mjs`…);
 * 2. TypeScript CommonJS apps without `esModuleInterop` get `import x = require('x')` for default imports;
 * 3. JavaScript apps get the types stripped (JSDoc where they help) and, for CommonJS, `require`/`module.exports`;
 * 4. the app's quotes, semicolons, indentation and line endings.
 */
export function renderTemplate(source: string, target: string, project: RenderProject): string {
  let output = rewriteRelativeSuffixes(source, target, project.importExtension);
  if (project.language === 'ts' && project.moduleSystem === 'cjs' && !project.esModuleInterop) {
    output = defaultImportsAsRequire(output, target);
  }
  if (project.language === 'js') {
    output = stripTypes(output, target);
    if (project.moduleSystem === 'cjs') output = toCommonJs(output, target);
  }
  const filename = outputPath(target, project);
  output = applyCodeStyle(output, filename, project.style);
  return project.style.eol === '\r\n' ? output.replace(/\r?\n/g, '\r\n') : output;
}

/**
 * Where a template lands, relative to the source dir, with the app's extension. Component manifests name
 * targets with `.ts`; this is the one place that maps them (`routes/auth.ts` → `routes/auth.cjs`).
 */
export function outputPath(target: string, project: Pick<ProjectInfo, 'outputExtension'>): string {
  return target.replace(/\.ts$/, project.outputExtension);
}

/** Edits the specifier strings of relative imports/exports by their parser positions (`'./x.js'` → `'./x'`). */
function rewriteRelativeSuffixes(source: string, filename: string, suffix: string): string {
  if (suffix === '.js') return source;
  const ast = parseSource(source, filename);
  const edits: Edit[] = [];
  for (const statement of ast.program.body) {
    const specifier = moduleSource(statement);
    if (!specifier || specifier.start == null || specifier.end == null) continue;
    const value = specifier.value;
    if (!/^\.\.?\//.test(value) || !value.endsWith('.js')) continue;
    const raw = source.slice(specifier.start, specifier.end);
    edits.push({ start: specifier.start, end: specifier.end, text: `${raw[0]}${value.slice(0, -3)}${suffix}${raw[0]}` });
  }
  return applyEdits(source, edits);
}

function moduleSource(statement: t.Node): t.StringLiteral | undefined {
  if (statement.type === 'ImportDeclaration') return statement.source;
  if ((statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportAllDeclaration') && statement.source) {
    return statement.source;
  }
  return undefined;
}

/**
 * Without `esModuleInterop`, `import express from 'express'` compiles to `express_1.default()`, which is
 * undefined for CommonJS packages. `import express = require('express')` is what such apps write; named
 * imports (types included) stay a separate `import { … }` from the same package.
 */
function defaultImportsAsRequire(source: string, filename: string): string {
  const ast = parseSource(source, filename);
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const edits: Edit[] = [];
  for (const statement of ast.program.body) {
    if (statement.type !== 'ImportDeclaration' || statement.importKind === 'type' || statement.source.value.startsWith('.')) continue;
    const defaultSpecifier = statement.specifiers.find((specifier) => specifier.type === 'ImportDefaultSpecifier');
    if (!defaultSpecifier) continue;
    const from = source.slice(statement.source.start ?? 0, statement.source.end ?? 0);
    const named = statement.specifiers.filter((specifier) => specifier.type === 'ImportSpecifier');
    const lines = [`import ${defaultSpecifier.local.name} = require(${from});`];
    if (named.length) {
      const list = named.map((specifier) => source.slice(specifier.start ?? 0, specifier.end ?? 0)).join(', ');
      lines.push(`import { ${list} } from ${from};`);
    }
    const indent = indentAt(source, statement.start ?? 0);
    edits.push({ start: statement.start ?? 0, end: statement.end ?? 0, text: lines.join(eol + indent) });
  }
  return applyEdits(source, edits);
}

/** Posix target → absolute path in the app, using the platform's separators. */
export function targetFile(srcDir: string, target: string, project: Pick<ProjectInfo, 'outputExtension'>): string {
  return path.join(srcDir, ...outputPath(target, project).split('/'));
}
