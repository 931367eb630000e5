import path from 'node:path';
import type * as t from '@babel/types';
import { dottedName, parseSource, requireSpecifier, sameModule } from '../patch/ast.js';
import type { PlannedFile } from './types.js';

/** A file of the user's kept where a component file goes, and what the component imports from it that it lacks. */
export interface UnmetImport {
  file: string;
  missing: string[];
}

/**
 * With `--skip-existing`, a file of the user's own stays where a component file goes, and the component's
 * other files import from it. If it does not export what they import, the app would stop compiling (or
 * crash at start-up): that is found here, before anything is written. Files whose exports cannot be read
 * statically (`export *`, `module.exports = build()`) are given the benefit of the doubt.
 */
export function unmetImports(files: PlannedFile[]): UnmetImport[] {
  const templates = files.filter((file) => file.kind === 'template');
  // The patched server entry imports the router too.
  const importers = files.filter((file) => file.kind === 'template' || file.kind === 'entry');
  const kept = templates.filter((file) => file.action === 'skip' && file.record === undefined && file.before !== undefined);
  const results: UnmetImport[] = [];
  for (const own of kept) {
    const exported = exportedNames(own.before as string, own.path);
    if (!exported) continue;
    const needed = new Set<string>();
    for (const importer of importers) {
      if (importer === own) continue;
      const text = importer.action === 'skip' || importer.action === 'identical' ? importer.before : importer.after;
      if (text) for (const name of importedFrom(text, importer.path, own.path)) needed.add(name);
    }
    const missing = [...needed].filter((name) => !exported.has(name)).sort();
    if (missing.length) results.push({ file: own.path, missing });
  }
  return results;
}

/** Names `source` (at `file`) imports from `target`, by `import { a }`, `import a` or `const { a } = require()`. */
function importedFrom(source: string, file: string, target: string): string[] {
  let program: t.Program;
  try {
    program = parseSource(source, file).program;
  } catch {
    return [];
  }
  const names: string[] = [];
  const posix = (file: string) => file.split(path.sep).join('/');
  const isTarget = (specifier: string) => specifier.startsWith('.') && sameModule(posix(path.resolve(path.dirname(file), specifier)), posix(target));
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration' && isTarget(statement.source.value)) {
      for (const specifier of statement.specifiers) {
        if (specifier.type === 'ImportDefaultSpecifier') names.push('default');
        if (specifier.type === 'ImportSpecifier') names.push(specifier.imported.type === 'Identifier' ? specifier.imported.name : specifier.imported.value);
      }
    }
    if (statement.type === 'VariableDeclaration') {
      for (const declarator of statement.declarations) {
        const specifier = requireSpecifier(declarator.init);
        if (specifier === undefined || !isTarget(specifier) || declarator.id.type !== 'ObjectPattern') continue;
        for (const property of declarator.id.properties) {
          if (property.type === 'ObjectProperty' && property.key.type === 'Identifier') names.push(property.key.name);
        }
      }
    }
  }
  return names;
}

/** What a module exports, or undefined when that cannot be told without running it. */
function exportedNames(source: string, file: string): Set<string> | undefined {
  let program: t.Program;
  try {
    program = parseSource(source, file).program;
  } catch {
    return undefined;
  }
  const names = new Set<string>();
  for (const statement of program.body) {
    if (statement.type === 'ExportAllDeclaration') return undefined;
    if (statement.type === 'ExportDefaultDeclaration') names.add('default');
    if (statement.type === 'ExportNamedDeclaration') {
      const declaration = statement.declaration;
      if (declaration && 'id' in declaration && declaration.id?.type === 'Identifier') names.add(declaration.id.name);
      if (declaration?.type === 'VariableDeclaration') {
        for (const declarator of declaration.declarations) if (declarator.id.type === 'Identifier') names.add(declarator.id.name);
      }
      for (const specifier of statement.specifiers) {
        names.add(specifier.exported.type === 'Identifier' ? specifier.exported.name : specifier.exported.value);
      }
    }
    if (statement.type === 'ExpressionStatement' && statement.expression.type === 'AssignmentExpression') {
      const { left, right } = statement.expression;
      const target = left.type === 'MemberExpression' ? dottedName(left) : undefined;
      if (target === 'module.exports') {
        if (right.type !== 'ObjectExpression') return undefined;
        for (const property of right.properties) {
          if (property.type !== 'ObjectProperty' || property.key.type !== 'Identifier') return undefined;
          names.add(property.key.name);
        }
      } else if (target?.startsWith('module.exports.') || target?.startsWith('exports.')) {
        names.add(target.slice(target.lastIndexOf('.') + 1));
      }
    }
  }
  return names;
}
