import { diff3Merge, diffComm } from 'node-diff3';

export interface MergeLabels {
  /** Shown after `<<<<<<<`: the version on disk (the user's). */
  ours: string;
  /** Shown after `>>>>>>>`: the new template. */
  theirs: string;
}

export interface MergeOutcome {
  text: string;
  /** Conflict blocks written with git-style markers (0: a clean merge). */
  conflicts: number;
}

/**
 * Three-way line merge of the user's file (`ours`) and the new template (`theirs`) against the version that
 * was installed (`base`). Changes that do not overlap are both kept; overlapping ones become git-style
 * conflict blocks holding both sides, so no line of the user's is ever dropped. Line endings travel with
 * their lines, so a CRLF file stays CRLF.
 */
export function mergeThreeWay(ours: string, base: string, theirs: string, labels: MergeLabels): MergeOutcome {
  const eol = detectLineEnding(ours);
  const out: string[] = [];
  let conflicts = 0;
  for (const region of diff3Merge(splitLines(ours), splitLines(base), splitLines(theirs), { excludeFalseConflicts: true })) {
    if (region.ok) out.push(...region.ok);
    else if (region.conflict) {
      conflicts++;
      out.push(...conflictBlock(region.conflict.a, region.conflict.b, labels, eol));
    }
  }
  return { text: out.join(''), conflicts };
}

/**
 * Without a recorded base (its sidecar was deleted) nothing says which side changed a line, so every hunk
 * where the two differ becomes a conflict block: the user decides, and both versions stay in the file.
 */
export function mergeWithoutBase(ours: string, theirs: string, labels: MergeLabels): MergeOutcome {
  const eol = detectLineEnding(ours);
  const out: string[] = [];
  let conflicts = 0;
  for (const part of diffComm(splitLines(ours), splitLines(theirs))) {
    if (part.common) out.push(...part.common);
    else {
      conflicts++;
      out.push(...conflictBlock(part.buffer1 ?? [], part.buffer2 ?? [], labels, eol));
    }
  }
  return { text: out.join(''), conflicts };
}

/** True when `text` still holds a conflict block written by {@link mergeThreeWay}. */
export function hasConflictMarkers(text: string): boolean {
  return /^<{7} /m.test(text) && /^={7}\r?$/m.test(text) && /^>{7} /m.test(text);
}

/** Lines with their terminators, so joining them gives back the exact text (a missing final newline too). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function conflictBlock(ours: readonly string[], theirs: readonly string[], labels: MergeLabels, eol: string): string[] {
  return [`<<<<<<< ${labels.ours}${eol}`, ...terminated(ours, eol), `=======${eol}`, ...terminated(theirs, eol), `>>>>>>> ${labels.theirs}${eol}`];
}

/** A side's last line may lack a newline (end of file); the marker after it must still start a line. */
function terminated(lines: readonly string[], eol: string): string[] {
  const last = lines.at(-1);
  if (last === undefined || last.endsWith('\n')) return [...lines];
  return [...lines.slice(0, -1), last + eol];
}

function detectLineEnding(text: string): string {
  const index = text.indexOf('\n');
  return index > 0 && text[index - 1] === '\r' ? '\r\n' : '\n';
}
