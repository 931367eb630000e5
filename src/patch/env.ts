import { randomBytes } from 'node:crypto';
import { parse } from 'dotenv';
import { appendBlock, commentLines, detectEol } from './text.js';

export interface EnvEntry {
  key: string;
  value: string;
  comment?: string;
}

export interface EnvPatchResult {
  source: string;
  /** Keys appended at the end of the file. */
  added: string[];
  /** Keys that were present with an empty value and got the value filled in on their line. */
  filled: string[];
  /** Keys left exactly as they were (they already had a value). */
  kept: string[];
}

/**
 * dotenv's own line pattern (dotenv 17, lib/main.js `LINE`), so "which keys does this file define" is
 * answered exactly as the app will answer it at run time, including multi-line quoted values (a `KEY=` line
 * inside a quoted value is not a key). Differences from the original: the separator is captured (group 2)
 * and the `d` flag gives us offsets to edit at. Running it on CRLF text finds the same keys as dotenv, which
 * normalizes line breaks first: `[^#\r\n]` and `$` already treat `\r` as a line break.
 */
const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

const VALID_KEY = /^[\w.-]+$/;

/** One `KEY=value` definition found in the file. */
interface Occurrence {
  key: string;
  /** The value as dotenv reads it (unquoted, trimmed). */
  value: string;
  /** Raw value text as written (may be only whitespace or an empty quote pair), '' when absent. */
  raw: string;
  /** Offset just after the `=` (or `: `), where a missing value goes. */
  separatorEnd: number;
  /** Offset where `raw` starts (equals separatorEnd when absent). */
  rawStart: number;
}

interface Edit {
  offset: number;
  length: number;
  text: string;
}

/** Adds missing keys; fills keys that are present with an empty value; never changes a key that has a value. */
export function patchEnv(source: string, entries: EnvEntry[], options: { header?: string } = {}): EnvPatchResult {
  const eol = detectEol(source);
  const occurrences = findOccurrences(source);
  const result: EnvPatchResult = { source, added: [], filled: [], kept: [] };
  const edits: Edit[] = [];
  const toAppend: EnvEntry[] = [];

  for (const entry of uniqueEntries(entries)) {
    const found = occurrences.filter((occurrence) => occurrence.key === entry.key);
    if (found.length === 0) {
      toAppend.push(entry);
      result.added.push(entry.key);
    } else if (found.some((occurrence) => occurrence.value !== '') || entry.value === '') {
      // A value anywhere counts: the user set it on purpose, and we never edit a line holding a secret.
      result.kept.push(entry.key);
    } else {
      // dotenv keeps the last definition, so that is the one to fill for the value to take effect.
      edits.push(fillEdit(source, found[found.length - 1]!, entry.value));
      result.filled.push(entry.key);
    }
  }

  if (edits.length === 0 && toAppend.length === 0) return result;
  const filled = applyEdits(source, edits);
  result.source = appendBlock(filled, appendedLines(toAppend, options.header), eol);
  return result;
}

/** A JWT secret: 48 random bytes (384 bits) as base64url, whose characters never need quoting in .env. */
export function generateJwtSecret(): string {
  return randomBytes(48).toString('base64url');
}

/**
 * Writes `value` the way dotenv will read back exactly: bare when it only holds plain characters, otherwise
 * in the first quote style that can hold it. dotenv has no general escape syntax: in double quotes it only
 * expands `\n` and `\r` (a `\"` keeps its backslash), and single quotes and backticks are taken literally.
 */
export function formatEnvValue(value: string): string {
  if (/^[\w.\-/:@+=,%~]*$/.test(value)) return value;
  if (fitsDoubleQuotes(value)) return doubleQuoted(value);
  if (!/['\r\n]/.test(value)) return `'${value}'`;
  if (!/[`\r]/.test(value)) return `\`${value}\``;
  throw new Error(`This value cannot be written to a .env file so that dotenv reads it back unchanged: ${JSON.stringify(value)}`);
}

/**
 * The .env text with every value replaced by `<redacted>` (keys, comments and layout kept), for diffs printed
 * to a terminal or a CI log. Values are found as dotenv finds them, so a multi-line quoted value goes whole.
 */
export function redactEnv(source: string): string {
  const edits: Edit[] = [];
  for (const occurrence of findOccurrences(source)) {
    const value = occurrence.raw.trim();
    if (value === '') continue;
    edits.push({ offset: occurrence.rawStart + (occurrence.raw.length - occurrence.raw.trimStart().length), length: value.length, text: '<redacted>' });
  }
  return applyEdits(source, edits);
}

function findOccurrences(source: string): Occurrence[] {
  const occurrences: Occurrence[] = [];
  for (const match of source.matchAll(DOTENV_LINE)) {
    const key = match[1]!;
    const separatorEnd = match.indices![2]![1];
    const rawRange = match.indices![3];
    occurrences.push({
      key,
      // Let dotenv itself say what the value is (quote stripping, trimming, escapes).
      value: parse(match[0])[key] ?? '',
      raw: match[3] ?? '',
      separatorEnd,
      rawStart: rawRange ? rawRange[0] : separatorEnd,
    });
  }
  return occurrences;
}

/** The edit that puts `value` into an empty definition, keeping its quoting, spacing and trailing comment. */
function fillEdit(source: string, occurrence: Occurrence, value: string): Edit {
  const quoteOffset = occurrence.rawStart + (occurrence.raw.length - occurrence.raw.trimStart().length);
  const quote = source[quoteOffset];
  if (occurrence.raw.trim() !== '' && (quote === '"' || quote === "'" || quote === '`')) {
    // `KEY=""` / `KEY=''`: replace the empty pair, in the user's quote style when it can hold the value.
    return { offset: quoteOffset, length: 2, text: requote(quote, value) };
  }
  // `KEY=`, `KEY=   # comment`: insert after the separator; whatever followed (spaces, comment) stays.
  let offset = occurrence.separatorEnd;
  // Keep the `KEY = value` look when the user writes spaces around `=`.
  if (/\s=$/.test(source.slice(offset - 2, offset)) && /^[ \t]/.test(occurrence.raw)) offset += 1;
  const text = formatEnvValue(value);
  // `KEY=#comment` would become `KEY=value#comment`: valid, but a space reads better.
  return { offset, length: 0, text: source[offset] === '#' ? `${text} ` : text };
}

function requote(quote: '"' | "'" | '`', value: string): string {
  if (quote === '"' && fitsDoubleQuotes(value)) return doubleQuoted(value);
  if (quote !== '"' && !value.includes(quote) && !/[\r\n]/.test(value)) return quote + value + quote;
  return formatEnvValue(value);
}

/** dotenv reads `\n` / `\r` in double quotes as line breaks, but has no escape for `"` or `\` itself. */
function fitsDoubleQuotes(value: string): boolean {
  return !/["\\]/.test(value);
}

function doubleQuoted(value: string): string {
  return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

function appendedLines(entries: EnvEntry[], header: string | undefined): string[] {
  const lines = header ? commentLines(header) : [];
  for (const entry of entries) {
    if (entry.comment) lines.push(...commentLines(entry.comment));
    lines.push(`${entry.key}=${formatEnvValue(entry.value)}`);
  }
  return lines;
}

/** Validates keys and drops repeated ones (the first entry for a key wins), so a key is never written twice. */
function uniqueEntries(entries: EnvEntry[]): EnvEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    if (!VALID_KEY.test(entry.key)) throw new Error(`Invalid .env key ${JSON.stringify(entry.key)}: use letters, digits, _ . -`);
    if (seen.has(entry.key)) return false;
    seen.add(entry.key);
    return true;
  });
}

/** Applies non-overlapping edits, last first, so earlier offsets stay valid. */
function applyEdits(source: string, edits: Edit[]): string {
  return [...edits]
    .sort((a, b) => b.offset - a.offset)
    .reduce((text, edit) => text.slice(0, edit.offset) + edit.text + text.slice(edit.offset + edit.length), source);
}
