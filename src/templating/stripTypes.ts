/**
 * TypeScript → JavaScript by deleting the type-only ranges of the source, located with @babel/parser.
 * Everything else (comments, blank lines, formatting, names) stays byte for byte, so the result reads like
 * the template it came from. Types that help a reader survive as JSDoc: interfaces and type aliases become
 * `@typedef`s, type-only imports become `@typedef {import('…').X} X`, and function signatures become
 * `@param`/`@returns` tags.
 */
import type * as t from '@babel/types';
import { forEachChild, parseSource, walk } from '../patch/ast.js';
import { applyEdits, indentAt, lineStart, wholeLines, type Edit } from './edits.js';

/** A template construct with no faithful JavaScript (or CommonJS) form; a template bug, not a user error. */
export class UnsupportedTemplateError extends Error {}

/** Node types that exist only in type positions; none of their bytes survive. */
const RUNTIME_TS_NODES = new Set([
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSParameterProperty',
  'TSInstantiationExpression',
]);

const MODIFIER_WORDS = /\b(?:private|public|protected|readonly|override|abstract|declare)\b[ \t]*/g;

export function stripTypes(source: string, filename: string): string {
  const ast = parseSource(source, filename);
  const stripper = new TypeStripper(source, ast);
  stripper.run();
  return collapseParameterLists(tidyBlankLines(applyEdits(source, stripper.edits)), filename);
}

const MAX_LINE = 100;

/**
 * Parameter lists that were split over lines only because their types made them long
 * (`constructor(\n    status,\n    code,\n  )`) go back on one line when it fits, as a person would write them.
 */
function collapseParameterLists(source: string, filename: string): string {
  const ast = parseSource(source, filename.replace(/\.[cm]?tsx?$/, '.mjs'));
  const comments = ast.comments ?? [];
  const edits: Edit[] = [];
  walk(ast.program, (node) => {
    if (!('params' in node) || !Array.isArray(node.params) || node.params.length === 0) return;
    const params = node.params as t.Node[];
    const open = source.lastIndexOf('(', params[0]?.start ?? 0);
    const close = source.indexOf(')', params.at(-1)?.end ?? 0);
    if (open < 0 || close < 0 || !source.slice(open, close).includes('\n')) return;
    if (comments.some((comment) => (comment.start ?? 0) > open && (comment.end ?? 0) < close)) return;
    const texts = params.map((param) => source.slice(param.start ?? 0, param.end ?? 0));
    if (texts.some((text) => text.includes('\n'))) return;
    const oneLine = `(${texts.join(', ')})`;
    const lineBegin = lineStart(source, open);
    const lineEnd = source.indexOf('\n', close);
    const after = source.slice(close + 1, lineEnd === -1 ? source.length : lineEnd).replace(/\r$/, '');
    if (source.slice(lineBegin, open).length + oneLine.length + after.length > MAX_LINE) return;
    edits.push({ start: open, end: close + 1, text: oneLine });
    return false;
  });
  return applyEdits(source, edits);
}

interface TypeImport {
  local: string;
  imported: string;
  source: string;
}

class TypeStripper {
  readonly edits: Edit[] = [];
  private readonly comments: t.Comment[];
  private readonly typeImports: TypeImport[] = [];
  /** JSDoc comments already rewritten, so a declaration and its export wrapper do not both claim one. */
  private readonly claimedComments = new Set<t.Comment>();
  /** Nodes whose bytes an enclosing rule already removed. */
  private readonly skipped = new Set<t.Node>();

  constructor(
    private readonly source: string,
    private readonly ast: t.File,
  ) {
    this.comments = ast.comments ?? [];
  }

  run(): void {
    const body = this.ast.program.body;
    for (const statement of body) this.statement(statement);
    this.emitTypeImports(body);
  }

  // ---- statements -------------------------------------------------------------------------------------

  private statement(node: t.Statement): void {
    const declaration = node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration' ? node.declaration : undefined;
    const target = (declaration ?? node) as t.Node;
    switch (target.type) {
      case 'TSInterfaceDeclaration':
      case 'TSTypeAliasDeclaration':
        this.replaceWithTypedef(node, target);
        return;
      case 'TSModuleDeclaration':
      case 'TSDeclareFunction':
        this.removeStatement(node);
        return;
      case 'TSEnumDeclaration':
        throw new UnsupportedTemplateError('enums have runtime code; use a union of string literals');
      case 'TSImportEqualsDeclaration':
      case 'TSExportAssignment':
        throw new UnsupportedTemplateError(`${target.type} has no JavaScript module equivalent`);
      case 'ImportDeclaration':
        this.importDeclaration(target);
        return;
      case 'ExportNamedDeclaration':
        if (target.exportKind === 'type') this.removeStatement(node);
        else this.exportSpecifiers(target);
        return;
      case 'VariableDeclaration':
        if (target.declare) return this.removeStatement(node);
        this.variableDocs(node, target);
        break;
      case 'FunctionDeclaration':
        this.functionDocs(node, target);
        break;
      default:
        break;
    }
    this.visit(target);
  }

  private importDeclaration(node: t.ImportDeclaration): void {
    const from = node.source.value;
    const isTypeOnly = node.importKind === 'type';
    const kept: t.ImportDeclaration['specifiers'] = [];
    for (const specifier of node.specifiers) {
      const typeSpecifier = isTypeOnly || (specifier.type === 'ImportSpecifier' && specifier.importKind === 'type');
      if (!typeSpecifier) {
        kept.push(specifier);
        continue;
      }
      const imported =
        specifier.type === 'ImportSpecifier'
          ? specifier.imported.type === 'Identifier'
            ? specifier.imported.name
            : specifier.imported.value
          : specifier.type === 'ImportDefaultSpecifier'
            ? 'default'
            : '*';
      this.typeImports.push({ local: specifier.local.name, imported, source: from });
    }
    if (kept.length === node.specifiers.length) return;
    if (kept.length === 0) {
      this.removeStatement(node);
      return;
    }
    this.replace(node, `import ${this.specifierList(kept)} from ${this.text(node.source)};`);
  }

  private specifierList(specifiers: t.ImportDeclaration['specifiers']): string {
    const parts: string[] = [];
    const named: string[] = [];
    for (const specifier of specifiers) {
      if (specifier.type === 'ImportDefaultSpecifier') parts.push(specifier.local.name);
      else if (specifier.type === 'ImportNamespaceSpecifier') parts.push(`* as ${specifier.local.name}`);
      else named.push(this.text(specifier).replace(/^type\s+/, ''));
    }
    if (named.length) parts.push(`{ ${named.join(', ')} }`);
    return parts.join(', ');
  }

  /** `export { a, type B }`: type-only specifiers go, the rest stays. */
  private exportSpecifiers(node: t.ExportNamedDeclaration): void {
    if (node.declaration) return;
    const kept = node.specifiers.filter((specifier) => !(specifier.type === 'ExportSpecifier' && specifier.exportKind === 'type'));
    if (kept.length === node.specifiers.length) return;
    if (kept.length === 0) return this.removeStatement(node);
    const list = kept.map((specifier) => this.text(specifier)).join(', ');
    this.replace(node, `export { ${list} }${node.source ? ` from ${this.text(node.source)}` : ''};`);
  }

  /** Type-only imports become one JSDoc block of `@typedef {import('x').Name} Local` after the imports. */
  private emitTypeImports(body: t.Statement[]): void {
    if (this.typeImports.length === 0) return;
    const lastImport = [...body].reverse().find((statement) => statement.type === 'ImportDeclaration');
    if (!lastImport) return;
    const tags = this.typeImports.map(({ local, imported, source }) => {
      const reference = imported === '*' || imported === 'default' ? `import('${source}')${imported === 'default' ? '.default' : ''}` : `import('${source}').${imported}`;
      return `@typedef {${reference}} ${local}`;
    });
    const at = wholeLines(this.source, lastImport.start ?? 0, lastImport.end ?? 0).end;
    const eol = this.source.includes('\r\n') ? '\r\n' : '\n';
    const block = jsDoc([], tags, '', eol);
    const needsBreak = at > 0 && this.source[at - 1] !== '\n';
    this.edits.push({ start: at, end: at, text: `${needsBreak ? eol : ''}${eol}${block}${eol}` });
  }

  // ---- interfaces and type aliases → @typedef -----------------------------------------------------------

  private replaceWithTypedef(statement: t.Statement, node: t.TSInterfaceDeclaration | t.TSTypeAliasDeclaration): void {
    const doc = this.leadingDoc(statement);
    const description = doc ? docDescription(this.source.slice(doc.start ?? 0, doc.end ?? 0)) : [];
    const tags: string[] = [];
    for (const parameter of node.typeParameters?.params ?? []) {
      tags.push(parameter.constraint ? `@template {${this.typeText(parameter.constraint)}} ${parameter.name}` : `@template ${parameter.name}`);
    }
    if (node.type === 'TSTypeAliasDeclaration') {
      tags.push(`@typedef {${this.typeText(node.typeAnnotation).replace(/^\|\s*/, '')}} ${node.id.name}`);
    } else {
      const bases = (node.extends ?? []).map((base) => this.typeText(base));
      if (bases.length === 0) {
        tags.push(`@typedef {object} ${node.id.name}`);
        tags.push(...node.body.body.map((member) => this.propertyTag(member)));
      } else {
        const own = node.body.body.map((member) => this.memberText(member)).join('; ');
        const parts = own ? [...bases, `{ ${own} }`] : bases;
        tags.push(`@typedef {${parts.join(' & ')}} ${node.id.name}`);
      }
    }
    const start = doc?.start ?? statement.start ?? 0;
    const indent = indentAt(this.source, start);
    const eol = this.source.includes('\r\n') ? '\r\n' : '\n';
    this.edits.push({ start, end: statement.end ?? 0, text: jsDoc(description, tags, indent, eol) });
  }

  private propertyTag(member: t.TSTypeElement): string {
    const doc = this.memberDoc(member);
    const { name, optional, type } = this.memberParts(member);
    return `@property {${type}} ${optional ? `[${name}]` : name}${doc ? ` ${doc}` : ''}`;
  }

  private memberText(member: t.TSTypeElement): string {
    const { name, optional, type } = this.memberParts(member);
    return `${name}${optional ? '?' : ''}: ${type}`;
  }

  private memberParts(member: t.TSTypeElement): { name: string; optional: boolean; type: string } {
    if (member.type === 'TSPropertySignature') {
      const annotation = member.typeAnnotation?.typeAnnotation;
      return { name: this.keyName(member.key), optional: member.optional === true, type: annotation ? this.typeText(annotation) : '*' };
    }
    if (member.type === 'TSMethodSignature') {
      const signature = member as t.TSMethodSignature & { parameters?: t.Node[]; typeAnnotation?: t.TSTypeAnnotation };
      const params = (signature.parameters ?? []).map((param) => this.typeText(param)).join(', ');
      const generics = signature.typeParameters ? this.typeText(signature.typeParameters) : '';
      const returns = signature.typeAnnotation ? this.typeText(signature.typeAnnotation.typeAnnotation) : 'void';
      return { name: this.keyName(member.key), optional: member.optional === true, type: `${generics}(${params}) => ${returns}` };
    }
    throw new UnsupportedTemplateError(`${member.type} in an interface cannot become a JSDoc @property`);
  }

  private keyName(key: t.Expression): string {
    if (key.type === 'Identifier') return key.name;
    if (key.type === 'StringLiteral') return key.value;
    return this.text(key);
  }

  /** A member's own `/** … *\/` comment, as one line of text. */
  private memberDoc(member: t.Node): string | undefined {
    const comment = this.leadingDoc(member);
    return comment ? docDescription(this.source.slice(comment.start ?? 0, comment.end ?? 0)).join(' ') : undefined;
  }

  // ---- JSDoc for functions and typed variables ----------------------------------------------------------

  private functionDocs(statement: t.Statement, fn: t.Function): void {
    const tags = this.signatureTags(fn);
    if (tags.length) this.mergeDoc(statement, tags);
  }

  private variableDocs(statement: t.Statement, declaration: t.VariableDeclaration): void {
    const [only] = declaration.declarations;
    if (declaration.declarations.length !== 1 || !only || only.id.type !== 'Identifier') return;
    const annotation = only.id.typeAnnotation;
    if (annotation?.type !== 'TSTypeAnnotation') return;
    // A function value with its own annotated parameters documents itself better than `@type`.
    this.mergeDoc(statement, [`@type {${this.typeText(annotation.typeAnnotation)}}`]);
  }

  private signatureTags(fn: t.Function): string[] {
    const tags: string[] = [];
    for (const parameter of fn.typeParameters?.type === 'TSTypeParameterDeclaration' ? fn.typeParameters.params : []) {
      tags.push(parameter.constraint ? `@template {${this.typeText(parameter.constraint)}} ${parameter.name}` : `@template ${parameter.name}`);
    }
    fn.params.forEach((raw, index) => {
      const param = (raw.type === 'TSParameterProperty' ? raw.parameter : raw) as t.Node;
      const tag = this.paramTag(param, index);
      if (tag) tags.push(tag);
    });
    const returns = fn.returnType?.type === 'TSTypeAnnotation' ? this.typeText(fn.returnType.typeAnnotation) : undefined;
    if (returns && returns !== 'void') tags.push(`@returns {${returns}}`);
    return tags.length && tags.some((tag) => !tag.startsWith('@template')) ? tags : [];
  }

  private paramTag(param: t.Node, index: number): string | undefined {
    let node = param;
    let optional = false;
    let rest = false;
    if (node.type === 'AssignmentPattern') {
      optional = true;
      node = node.left;
    }
    if (node.type === 'RestElement') {
      rest = true;
      const annotation = node.typeAnnotation;
      node = { ...node.argument, typeAnnotation: annotation } as t.Node;
    }
    const annotation = (node as { typeAnnotation?: t.Node | null }).typeAnnotation;
    if (annotation?.type !== 'TSTypeAnnotation') return undefined;
    if (node.type === 'Identifier' && node.name === 'this') return undefined;
    let type = this.typeText(annotation.typeAnnotation);
    if (rest) type = type.endsWith('[]') ? `...${type.slice(0, -2)}` : `...*`;
    const name = node.type === 'Identifier' ? node.name : `param${index}`;
    optional ||= node.type === 'Identifier' && node.optional === true;
    return `@param {${type}} ${optional ? `[${name}]` : name}`;
  }

  /** Adds tags to the declaration's JSDoc comment, or writes one above it. */
  private mergeDoc(node: t.Node, tags: string[]): void {
    const doc = this.leadingDoc(node);
    const eol = this.source.includes('\r\n') ? '\r\n' : '\n';
    if (doc && doc.start != null && doc.end != null) {
      const indent = indentAt(this.source, doc.start);
      const description = docDescription(this.source.slice(doc.start, doc.end));
      this.edits.push({ start: doc.start, end: doc.end, text: jsDoc(description, tags, indent, eol).trimStart() });
      return;
    }
    const start = node.start ?? 0;
    const indent = indentAt(this.source, start);
    this.edits.push({ start, end: start, text: `${jsDoc([], tags, indent, eol).trimStart()}${eol}${indent}` });
  }

  /** The `/** … *\/` comment right above a node (only whitespace between), if any and not yet used. */
  private leadingDoc(node: t.Node): t.Comment | undefined {
    const start = node.start ?? 0;
    let found: t.Comment | undefined;
    for (const comment of this.comments) {
      if ((comment.end ?? 0) > start) break;
      found = comment;
    }
    if (!found || found.type !== 'CommentBlock' || !found.value.startsWith('*') || this.claimedComments.has(found)) return undefined;
    if (!/^\s*$/.test(this.source.slice(found.end ?? 0, start))) return undefined;
    this.claimedComments.add(found);
    return found;
  }

  // ---- expressions, functions, classes ------------------------------------------------------------------

  private visit(node: t.Node): void {
    if (this.skipped.has(node)) return;
    if (node.type.startsWith('TS') && !RUNTIME_TS_NODES.has(node.type)) {
      this.remove(node.start ?? 0, node.end ?? 0);
      return;
    }
    switch (node.type) {
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
        this.castExpression(node);
        return;
      case 'TSNonNullExpression':
        this.remove(node.expression.end ?? 0, node.end ?? 0);
        this.visit(node.expression);
        return;
      case 'TSTypeAssertion':
        this.remove(node.start ?? 0, node.expression.start ?? 0);
        this.visit(node.expression);
        return;
      case 'TSInstantiationExpression':
        this.remove(node.expression.end ?? 0, node.end ?? 0);
        this.visit(node.expression);
        return;
      case 'TSParameterProperty':
        this.remove(node.start ?? 0, node.parameter.start ?? 0);
        this.visit(node.parameter);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression':
        this.classHeader(node);
        break;
      case 'ClassMethod':
      case 'ClassPrivateMethod':
        this.classMember(node);
        if (node.kind === 'constructor') this.parameterProperties(node);
        this.functionDocs(node as unknown as t.Statement, node);
        break;
      case 'ClassProperty':
      case 'ClassPrivateProperty':
      case 'ClassAccessorProperty':
        // `declare x: T` and `abstract x: T` emit nothing in TypeScript either.
        if ((node as t.ClassProperty).declare || (node as t.ClassProperty).abstract) {
          this.removeStatement(node);
          return;
        }
        this.classMember(node);
        this.classField(node);
        break;
      case 'TSDeclareMethod':
      case 'TSIndexSignature':
        this.removeStatement(node);
        return;
      case 'Identifier':
        this.identifier(node);
        break;
      default:
        break;
    }
    if ('params' in node && Array.isArray(node.params)) this.thisParameter(node as t.Function);
    forEachChild(node, (child) => this.visit(child));
  }

  /** `x as T` → `x`; `(error as Coded).code` → `error.code` when the parentheses only served the cast. */
  private castExpression(node: t.TSAsExpression | t.TSSatisfiesExpression): void {
    const inner = node.expression;
    // `(await x) as T`: the inner expression's own parentheses end after its `end`; keep them.
    let from = inner.end ?? 0;
    if ((inner.extra as { parenthesized?: boolean } | undefined)?.parenthesized) {
      for (let at = this.skipSpace(from); this.source[at] === ')'; at = this.skipSpace(from)) from = at + 1;
    }
    this.remove(from, node.end ?? 0);
    const extra = node.extra as { parenthesized?: boolean; parenStart?: number } | undefined;
    const bare = inner.type === 'Identifier' || inner.type === 'ThisExpression' || (inner.type === 'MemberExpression' && !inner.extra?.parenthesized);
    if (extra?.parenthesized && extra.parenStart !== undefined && bare) {
      const close = this.skipSpace(node.end ?? 0);
      if (this.source[close] === ')') {
        this.remove(extra.parenStart, extra.parenStart + 1);
        this.remove(close, close + 1);
      }
    }
    this.visit(inner);
  }

  private classHeader(node: t.Class): void {
    if (node.implements?.length) {
      const first = node.implements[0];
      const last = node.implements.at(-1);
      const keyword = this.source.lastIndexOf('implements', first?.start ?? 0);
      this.remove(this.trimBack(keyword), last?.end ?? 0);
      for (const implemented of node.implements) this.skipped.add(implemented);
    }
    const abstract = (node as { abstract?: boolean }).abstract;
    if (abstract) {
      const at = this.source.indexOf('abstract', node.start ?? 0);
      this.remove(at, this.skipSpace(at + 'abstract'.length));
    }
  }

  /** Deletes `private`, `readonly`, `override`… between a member's start (after decorators) and its key. */
  private classMember(node: t.ClassMethod | t.ClassPrivateMethod | t.ClassProperty | t.ClassPrivateProperty | t.ClassAccessorProperty): void {
    const from = Math.max(node.start ?? 0, ...(node.decorators ?? []).map((decorator) => decorator.end ?? 0));
    const to = node.key.start ?? 0;
    const head = this.source.slice(from, to);
    for (const match of head.matchAll(MODIFIER_WORDS)) {
      this.remove(from + match.index, from + match.index + match[0].length);
    }
    if ('optional' in node && node.optional) this.removeChar(node.key.end ?? 0, '?');
    if ('definite' in node && node.definite) this.removeChar(node.key.end ?? 0, '!');
  }

  /** A field declared only for its type (`private readonly now: () => Date;`) keeps its type as `@type`. */
  private classField(node: t.ClassProperty | t.ClassPrivateProperty | t.ClassAccessorProperty): void {
    const annotation = node.typeAnnotation;
    if (annotation?.type !== 'TSTypeAnnotation' || node.value) return;
    this.mergeDoc(node, [`@type {${this.typeText(annotation.typeAnnotation)}}`]);
  }

  /** `constructor(private readonly stores: AuthStores)` → `constructor(stores) { this.stores = stores; … }`. */
  private parameterProperties(node: t.ClassMethod | t.ClassPrivateMethod): void {
    const names = node.params
      .filter((param): param is t.TSParameterProperty => param.type === 'TSParameterProperty')
      .map((param) => {
        const inner = param.parameter;
        const id = inner.type === 'AssignmentPattern' ? inner.left : inner;
        if (id.type !== 'Identifier') throw new UnsupportedTemplateError('destructured parameter properties');
        return id.name;
      });
    if (names.length === 0) return;
    const body = node.body;
    const eol = this.source.includes('\r\n') ? '\r\n' : '\n';
    const [first] = body.body;
    const callsSuper =
      first?.type === 'ExpressionStatement' && first.expression.type === 'CallExpression' && first.expression.callee.type === 'Super';
    const memberIndent = indentAt(this.source, node.start ?? 0);
    const indent = first ? indentAt(this.source, first.start ?? 0) : `${memberIndent}  `;
    const lines = names.map((name) => `${indent}this.${name} = ${name};`).join(eol);
    if (callsSuper) {
      this.edits.push({ start: first.end ?? 0, end: first.end ?? 0, text: `${eol}${lines}` });
    } else if (first) {
      const at = lineStart(this.source, first.start ?? 0);
      this.edits.push({ start: at, end: at, text: `${lines}${eol}` });
    } else {
      this.edits.push({ start: (body.start ?? 0) + 1, end: body.end ?? 0, text: `${eol}${lines}${eol}${memberIndent}}`.slice(0, -1) });
    }
  }

  /** `function (this: Doc, x)`: the `this` parameter is a type annotation only. */
  private thisParameter(fn: t.Function): void {
    const [first, second] = fn.params;
    if (first?.type !== 'Identifier' || first.name !== 'this') return;
    this.remove(first.start ?? 0, second ? (second.start ?? 0) : (first.end ?? 0));
    this.skipped.add(first);
  }

  /** `options?: T`: the annotation is a child (removed when visited); the `?` belongs to the identifier. */
  private identifier(node: t.Identifier): void {
    if (node.optional) this.removeChar((node.start ?? 0) + node.name.length, '?');
  }

  // ---- primitives -----------------------------------------------------------------------------------------

  private text(node: t.Node): string {
    return this.source.slice(node.start ?? 0, node.end ?? 0);
  }

  /** A type's source on one line, comments dropped, for use inside a JSDoc `{…}`. */
  private typeText(node: t.Node): string {
    return this.text(node)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/[^\n]*/g, '')
      .replace(/\s+/g, ' ')
      .replace(/;\s*}/g, ' }')
      .replace(/{\s*\|/g, '{')
      .trim();
  }

  private remove(start: number, end: number): void {
    if (end > start) this.edits.push({ start, end, text: '' });
  }

  private replace(node: t.Node, text: string): void {
    this.edits.push({ start: node.start ?? 0, end: node.end ?? 0, text });
  }

  /** Removes a whole statement with its lines and its own JSDoc comment. */
  private removeStatement(node: t.Node): void {
    const doc = this.leadingDoc(node);
    const range = wholeLines(this.source, doc?.start ?? node.start ?? 0, node.end ?? 0);
    this.edits.push({ start: range.start, end: range.end, text: '' });
  }

  private removeChar(from: number, char: string): void {
    const at = this.skipSpace(from);
    if (this.source[at] === char) this.remove(at, at + 1);
  }

  private skipSpace(from: number): number {
    let at = from;
    while (at < this.source.length && /\s/.test(this.source[at] ?? '')) at++;
    return at;
  }

  private trimBack(from: number): number {
    let at = from;
    while (at > 0 && /[ \t]/.test(this.source[at - 1] ?? '')) at--;
    return at;
  }
}

/** The description lines of a `/** … *\/` comment, without the comment markers. */
function docDescription(comment: string): string[] {
  const inner = comment.replace(/^\/\*\*/, '').replace(/\*\/$/, '');
  const lines = inner.split(/\r?\n/).map((line) => line.replace(/^\s*\* ?/, '').trimEnd());
  while (lines.length && lines[0]?.trim() === '') lines.shift();
  while (lines.length && lines.at(-1)?.trim() === '') lines.pop();
  return lines.map((line, index) => (index === 0 ? line.trim() : line));
}

/** A JSDoc block; a single short tag or line stays on one line, as people write them. */
function jsDoc(description: string[], tags: string[], indent: string, eol: string): string {
  const lines = [...description, ...tags];
  if (lines.length === 1 && (lines[0]?.length ?? 0) + indent.length < 100) return `${indent}/** ${lines[0]} */`;
  return [`${indent}/**`, ...lines.map((line) => `${indent} *${line ? ` ${line}` : ''}`), `${indent} */`].join(eol);
}

/** Removals can leave two blank lines where one was; keep at most one, and none at the top of the file. */
export function tidyBlankLines(source: string): string {
  return source.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/(\r?\n)(?:[ \t]*\r?\n){2,}/g, '$1$1');
}
