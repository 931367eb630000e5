import { applyEdits, findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { CliError } from '../errors.js';
import { detectEol, splitBom } from './text.js';

export interface PackageJsonChanges {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

export interface PackageJsonPatchResult {
  source: string;
  added: { dependencies: string[]; devDependencies: string[]; scripts: string[] };
  /** Names left alone: dependencies already declared in any dependency section, scripts that exist. */
  skipped: string[];
}

type Section = keyof PackageJsonChanges;

const DEPENDENCY_SECTIONS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

/**
 * Adds dependencies and scripts to package.json text by inserting at parser positions. jsonc-parser's
 * `modify` is not used for the insertion itself because its formatter rewrites the neighbouring lines
 * (`"a" :  "1"` becomes `"a": "1"`); here only the new text is added and every other byte stays.
 */
export function patchPackageJson(source: string, changes: PackageJsonChanges): PackageJsonPatchResult {
  const { bom, body } = splitBom(source);
  const result: PackageJsonPatchResult = {
    source,
    added: { dependencies: [], devDependencies: [], scripts: [] },
    skipped: [],
  };
  let text = body;
  parsePackageJson(text); // report invalid JSON even when there is nothing to add

  for (const section of ['dependencies', 'devDependencies', 'scripts'] as const) {
    const root = parsePackageJson(text); // fresh: a dependency added just above counts as declared
    const missing: [string, string][] = [];
    for (const [name, value] of Object.entries(changes[section] ?? {})) {
      const present = section === 'scripts' ? hasKey(root, ['scripts'], name) : isDeclared(root, name);
      if (present) result.skipped.push(name);
      else missing.push([name, value]);
    }
    if (missing.length === 0) continue;
    text = addToSection(text, section, missing);
    result.added[section].push(...missing.map(([name]) => name));
  }

  if (text !== body) result.source = bom + text;
  return result;
}

/**
 * The reverse of patchPackageJson for dependencies: removes `name` from `section` when its range is still
 * `range`, deleting exactly the text an insertion adds (the property and one separator), so add followed by
 * remove gives back the original bytes. A section left empty goes too. Returns what was removed and what was
 * kept because its range was changed.
 */
export function removeDependencies(
  source: string,
  section: 'dependencies' | 'devDependencies',
  entries: Record<string, string>,
): { source: string; removed: string[]; kept: string[] } {
  const { bom, body } = splitBom(source);
  let text = body;
  const removed: string[] = [];
  const kept: string[] = [];
  for (const [name, range] of Object.entries(entries)) {
    const object = findNodeAtLocation(parsePackageJson(text), [section]);
    const property = object?.type === 'object' ? object.children?.find((child) => child.children?.[0]?.value === name) : undefined;
    if (!object || !property) continue;
    if (property.children?.[1]?.value !== range) {
      kept.push(`${name}@${String(property.children?.[1]?.value)}`);
      continue;
    }
    text = deleteProperty(text, object, property);
    removed.push(name);
    const emptied = findNodeAtLocation(parsePackageJson(text), [section]);
    if (emptied && (emptied.children ?? []).length === 0 && emptied.parent) text = deleteProperty(text, rootOf(emptied), emptied.parent);
  }
  return { source: text === body ? source : bom + text, removed, kept };
}

/**
 * Deletes one property with the separator an insertion put next to it: the comma and line break before it
 * (or, for the first of several, the ones after it); an only property takes the object's inner whitespace.
 */
function deleteProperty(text: string, object: Node, property: Node): string {
  const properties = object.children ?? [];
  const index = properties.indexOf(property);
  const previous = properties[index - 1];
  const next = properties[index + 1];
  const end = property.offset + property.length;
  if (previous) return text.slice(0, previous.offset + previous.length) + text.slice(end);
  if (next) return text.slice(0, property.offset) + text.slice(next.offset);
  return `${text.slice(0, object.offset + 1)}${text.slice(object.offset + object.length - 1)}`;
}

/** Parses strict JSON (what npm accepts) and returns the root object node, or throws where it breaks. */
function parsePackageJson(text: string): Node {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const error = errors[0];
  if (error) {
    const { line, column } = lineColumn(text, error.offset);
    throw new CliError(`package.json is not valid JSON at ${line}:${column} (${printParseErrorCode(error.error)})`, {
      hint: 'Fix package.json (npm must be able to read it), then run the command again.',
    });
  }
  if (!root || root.type !== 'object') {
    throw new CliError('package.json is not valid: its top level must be a JSON object', {
      hint: 'Fix package.json (npm must be able to read it), then run the command again.',
    });
  }
  return root;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastBreak };
}

function isDeclared(root: Node, name: string): boolean {
  return DEPENDENCY_SECTIONS.some((section) => hasKey(root, [section], name));
}

function hasKey(root: Node, path: string[], key: string): boolean {
  const container = findNodeAtLocation(root, path);
  return container?.type === 'object' && propertyNames(container).includes(key);
}

function propertyNames(object: Node): string[] {
  return (object.children ?? []).map((property) => String(property.children?.[0]?.value));
}

/** npm sorts dependency sections with this comparison (@npmcli/package-json), so "sorted" means the same. */
function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en');
}

function addToSection(text: string, section: Section, entries: [string, string][]): string {
  const root = parsePackageJson(text);
  const object = findNodeAtLocation(root, [section]);
  if (!object) return createSection(text, root, section, entries);
  if (object.type !== 'object') {
    throw new CliError(`package.json "${section}" is not an object`, { hint: `Make "${section}" an object ({}), then run the command again.` });
  }
  let out = text;
  for (const [name, value] of entries) {
    const current = findNodeAtLocation(parsePackageJson(out), [section])!; // re-read positions after each insert
    out = insertProperty(out, current, insertionIndex(current, name), name, JSON.stringify(value));
  }
  return out;
}

/** Alphabetical place when the section is already sorted (it stays sorted), the end otherwise (no reordering). */
function insertionIndex(object: Node, name: string): number {
  const names = propertyNames(object);
  const sorted = names.every((current, i) => i === 0 || compareNames(names[i - 1]!, current) <= 0);
  if (!sorted) return names.length;
  const after = names.findIndex((current) => compareNames(current, name) > 0);
  return after === -1 ? names.length : after;
}

/** Creates a missing section holding `entries` (dependencies sorted as npm would, scripts in given order). */
function createSection(text: string, root: Node, section: Section, entries: [string, string][]): string {
  const ordered = section === 'scripts' ? entries : [...entries].sort(([a], [b]) => compareNames(a, b));
  const layout = layoutOf(text, root);
  const items = ordered.map(([name, value]) => property(text, root, name, JSON.stringify(value)));
  const childIndent = layout.indent + layout.unit;
  const value = layout.multiline
    ? `{${items.map((item) => layout.eol + childIndent + item).join(',')}${layout.eol}${layout.indent}}`
    : `{${items.join(',')}}`;
  return insertProperty(text, root, sectionIndex(propertyNames(root), section), section, value);
}

/**
 * Where a new section goes among the top-level keys: next to the other dependency sections in the usual
 * order (dependencies, devDependencies, peerDependencies, optionalDependencies), scripts just before them;
 * at the end when there is nothing to stand next to.
 */
function sectionIndex(names: string[], section: Section): number {
  if (section === 'scripts') {
    const firstDependencies = names.findIndex((name) => DEPENDENCY_SECTIONS.includes(name));
    return firstDependencies === -1 ? names.length : firstDependencies;
  }
  const position = DEPENDENCY_SECTIONS.indexOf(section);
  const earlier = DEPENDENCY_SECTIONS.slice(0, position).reverse().find((name) => names.includes(name));
  if (earlier) return names.indexOf(earlier) + 1;
  const later = DEPENDENCY_SECTIONS.slice(position + 1).find((name) => names.includes(name));
  if (later) return names.indexOf(later);
  const scripts = names.indexOf('scripts');
  return scripts === -1 ? names.length : scripts + 1;
}

/**
 * Inserts `"name": value` as the index-th property of `object`, copying the layout around it: the
 * sibling's line indentation, the file's EOL, and its `:` spacing. Only new text is added.
 */
function insertProperty(text: string, object: Node, index: number, name: string, valueText: string): string {
  const properties = object.children ?? [];
  const item = property(text, object, name, valueText);
  const next = properties[index];
  const previous = properties[index - 1];
  const multiline = isMultiline(text, object);
  const eol = detectEol(text);

  if (next) {
    // Take the next property's place; it moves to a new line with the same indentation.
    const gap = multiline ? eol + lineIndent(text, next.offset) : inlineGap(text, object);
    return splice(text, next.offset, `${item},${gap}`);
  }
  if (previous) {
    const gap = multiline ? eol + lineIndent(text, previous.offset) : inlineGap(text, object);
    return splice(text, previous.offset + previous.length, `,${gap}${item}`);
  }
  // Empty object: lay it out like the rest of the file (`{}` in a multi-line file opens up).
  const layout = layoutOf(text, rootOf(object));
  const openBrace = object.offset;
  const ownIndent = lineIndent(text, openBrace);
  const inside = layout.multiline ? `${layout.eol}${ownIndent}${layout.unit}${item}${layout.eol}${ownIndent}` : item;
  return text.slice(0, openBrace + 1) + inside + text.slice(object.offset + object.length - 1);
}

function rootOf(node: Node): Node {
  let current = node;
  while (current.parent) current = current.parent;
  return current;
}

/** `"name": value`, or `"name":value` when the file writes `:` without a space (minified files). */
function property(text: string, object: Node, name: string, valueText: string): string {
  return `${JSON.stringify(name)}${colonOf(text, object)}${valueText}`;
}

function colonOf(text: string, object: Node): string {
  const sample = object.children?.[0] ?? rootOf(object).children?.[0];
  const key = sample?.children?.[0];
  const value = sample?.children?.[1];
  if (!key || !value) return ': ';
  const between = text.slice(key.offset + key.length, value.offset);
  // Only the two common styles are copied; anything odd gets the standard one.
  return between === ':' ? ':' : ': ';
}

interface Layout {
  multiline: boolean;
  eol: string;
  /** Indentation of top-level keys. */
  indent: string;
  /** One indentation level: tab, 2 or 4 spaces, as the file uses. */
  unit: string;
}

function layoutOf(text: string, root: Node): Layout {
  const first = root.children?.[0];
  // A one-line file with keys stays one line (minified); an empty `{}` gets npm's usual 2-space layout.
  if (first && !isMultiline(text, root)) return { multiline: false, eol: '', indent: '', unit: '' };
  const indent = (first && lineIndent(text, first.offset)) || '  ';
  return { multiline: true, eol: detectEol(text), indent, unit: indent };
}

function isMultiline(text: string, node: Node): boolean {
  return text.slice(node.offset, node.offset + node.length).includes('\n');
}

/** The space after commas in a one-line object: as between its first two properties, else as after `:`. */
function inlineGap(text: string, object: Node): string {
  const [first, second] = object.children ?? [];
  if (first && second) return text.slice(first.offset + first.length, second.offset).replace(/^\s*,/, '');
  return colonOf(text, object).endsWith(' ') ? ' ' : '';
}

/** Leading whitespace of the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

function splice(text: string, offset: number, insert: string): string {
  return applyEdits(text, [{ offset, length: 0, content: insert }]);
}
