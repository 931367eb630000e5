/**
 * ES module syntax → CommonJS, written the way people write CommonJS by hand: `const x = require('x')`,
 * destructured named imports, plain declarations, and one `module.exports = { … }` at the end. Only the
 * import/export statements change; every other byte stays where it was.
 */
import type * as t from '@babel/types';
import { parseSource, some } from '../patch/ast.js';
import { applyEdits, indentAt, type Edit } from './edits.js';
import { UnsupportedTemplateError } from './stripTypes.js';

export function toCommonJs(source: string, filename: string): string {
  const ast = parseSource(source, filename.replace(/\.[cm]?[jt]s$/, '.mjs'));
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const edits: Edit[] = [];
  const exported: Array<{ name: string; local: string }> = [];

  for (const statement of ast.program.body) {
    switch (statement.type) {
      case 'ImportDeclaration':
        edits.push(replace(statement, requireLines(statement, source, eol)));
        break;
      case 'ExportNamedDeclaration':
        if (statement.source) throw new UnsupportedTemplateError('re-exports (`export … from`) in a CommonJS template');
        if (statement.declaration) {
          // `export function f` → `function f`: drop the keyword, keep the declaration as written.
          edits.push({ start: statement.start ?? 0, end: statement.declaration.start ?? 0, text: '' });
          for (const name of declaredNames(statement.declaration)) exported.push({ name, local: name });
        } else {
          for (const specifier of statement.specifiers) {
            if (specifier.type !== 'ExportSpecifier') continue;
            const name = specifier.exported.type === 'Identifier' ? specifier.exported.name : specifier.exported.value;
            exported.push({ name, local: specifier.local.name });
          }
          edits.push(removeLine(statement, source));
        }
        break;
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration':
        throw new UnsupportedTemplateError(`${statement.type} in a CommonJS template (use named exports)`);
      default:
        break;
    }
  }
  if (some(ast.program, (node) => node.type === 'MetaProperty' && node.meta.name === 'import')) {
    throw new UnsupportedTemplateError('import.meta has no CommonJS equivalent');
  }

  let output = applyEdits(source, edits);
  if (exported.length) output = `${output.replace(/\s*$/, '')}${eol}${eol}${moduleExports(exported, eol)}${eol}`;
  return output;
}

function requireLines(node: t.ImportDeclaration, source: string, eol: string): string {
  const from = source.slice(node.source.start ?? 0, node.source.end ?? 0);
  const call = `require(${from})`;
  let whole: string | undefined;
  const named: string[] = [];
  for (const specifier of node.specifiers) {
    if (specifier.type === 'ImportDefaultSpecifier' || specifier.type === 'ImportNamespaceSpecifier') whole = specifier.local.name;
    else {
      const imported = specifier.imported.type === 'Identifier' ? specifier.imported.name : specifier.imported.value;
      named.push(imported === specifier.local.name ? imported : `${imported}: ${specifier.local.name}`);
    }
  }
  if (!whole && named.length === 0) return `${call};`;
  if (!whole) return `const { ${named.join(', ')} } = ${call};`;
  const indent = indentAt(source, node.start ?? 0);
  return named.length ? `const ${whole} = ${call};${eol}${indent}const { ${named.join(', ')} } = ${whole};` : `const ${whole} = ${call};`;
}

function declaredNames(declaration: t.Declaration): string[] {
  if ((declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') && declaration.id) return [declaration.id.name];
  if (declaration.type === 'VariableDeclaration') {
    return declaration.declarations.flatMap((declarator) => {
      if (declarator.id.type !== 'Identifier') throw new UnsupportedTemplateError('exported destructuring in a CommonJS template');
      return [declarator.id.name];
    });
  }
  throw new UnsupportedTemplateError(`export of a ${declaration.type} in a CommonJS template`);
}

/** `module.exports = { a, b };`, one name per line once it gets long. */
function moduleExports(names: Array<{ name: string; local: string }>, eol: string): string {
  const parts = names.map(({ name, local }) => (name === local ? name : `${name}: ${local}`));
  const oneLine = `module.exports = { ${parts.join(', ')} };`;
  if (oneLine.length <= 100) return oneLine;
  return [`module.exports = {`, ...parts.map((part) => `  ${part},`), `};`].join(eol);
}

function replace(node: t.Node, text: string): Edit {
  return { start: node.start ?? 0, end: node.end ?? 0, text };
}

function removeLine(node: t.Node, source: string): Edit {
  let end = node.end ?? 0;
  if (source[end] === '\r') end++;
  if (source[end] === '\n') end++;
  return { start: node.start ?? 0, end, text: '' };
}
