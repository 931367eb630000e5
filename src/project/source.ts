import type { File } from '@babel/types';
import { requireSpecifier } from '../patch/ast.js';

/** Relative module specifiers a file imports or requires at its top level (for following an entry like bin/www). */
export function relativeSpecifiers(ast: File): string[] {
  const found: string[] = [];
  for (const statement of ast.program.body) {
    if (statement.type === 'ImportDeclaration') found.push(statement.source.value);
    if (statement.type === 'VariableDeclaration') {
      for (const declarator of statement.declarations) {
        const specifier = requireSpecifier(declarator.init);
        if (specifier !== undefined) found.push(specifier);
      }
    }
  }
  return found.filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'));
}
