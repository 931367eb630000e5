import { parse, type ParserPlugin } from '@babel/parser';
import type { File } from '@babel/types';

/** Parses JS or TS (by file extension) with positions, for detection and patching. Throws on syntax errors. */
export function parseSource(source: string, filename: string): File {
  return parse(source, {
    sourceType: 'unambiguous',
    sourceFilename: filename,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
    allowImportExportEverywhere: false,
    errorRecovery: false,
    plugins: pluginsFor(filename),
  });
}

function pluginsFor(filename: string): ParserPlugin[] {
  if (/\.(c|m)?tsx?$/.test(filename)) {
    return filename.endsWith('x') ? ['typescript', 'jsx'] : ['typescript'];
  }
  return ['jsx'];
}

/** Relative module specifiers a file imports or requires at its top level (for following an entry like bin/www). */
export function relativeSpecifiers(ast: File): string[] {
  const found: string[] = [];
  for (const statement of ast.program.body) {
    if (statement.type === 'ImportDeclaration') found.push(statement.source.value);
    if (statement.type === 'VariableDeclaration') {
      for (const declarator of statement.declarations) {
        const init = declarator.init;
        if (
          init?.type === 'CallExpression' &&
          init.callee.type === 'Identifier' &&
          init.callee.name === 'require' &&
          init.arguments[0]?.type === 'StringLiteral'
        ) {
          found.push(init.arguments[0].value);
        }
      }
    }
  }
  return found.filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'));
}
