import type { Node } from '@babel/types';
import { parseSource } from '../patch/ast.js';
import type { ProjectInfo } from '../project/types.js';

/**
 * Turns a template into the file the app receives. Templates are written for the strictest setting
 * (relative imports with `.js`, as NodeNext requires); apps that import without extensions get them removed,
 * and the app's line ending is used throughout.
 */
export function renderTemplate(source: string, filename: string, project: Pick<ProjectInfo, 'importExtension' | 'style'>): string {
  let output = source;
  if (/\.(c|m)?tsx?$/.test(filename) && project.importExtension === '') output = stripRelativeJsSuffixes(output, filename);
  return project.style.eol === '\r\n' ? output.replace(/\r?\n/g, '\r\n') : output;
}

/** Edits the specifier strings of relative imports/exports by their parser positions (`'./x.js'` → `'./x'`). */
function stripRelativeJsSuffixes(source: string, filename: string): string {
  const ast = parseSource(source, filename);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const statement of ast.program.body) {
    const specifier = moduleSource(statement);
    if (!specifier || specifier.start == null || specifier.end == null) continue;
    const value = specifier.value;
    if (!/^\.\.?\//.test(value) || !value.endsWith('.js')) continue;
    const raw = source.slice(specifier.start, specifier.end);
    edits.push({ start: specifier.start, end: specifier.end, text: `${raw[0]}${value.slice(0, -3)}${raw[0]}` });
  }
  return edits
    .sort((a, b) => b.start - a.start)
    .reduce((text, edit) => text.slice(0, edit.start) + edit.text + text.slice(edit.end), source);
}

function moduleSource(statement: Node) {
  if (statement.type === 'ImportDeclaration') return statement.source;
  if ((statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportAllDeclaration') && statement.source) {
    return statement.source;
  }
  return undefined;
}
