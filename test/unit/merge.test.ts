import { describe, expect, it } from 'vitest';
import { hasConflictMarkers, mergeThreeWay, mergeWithoutBase, splitLines } from '../../src/merge/threeWay.js';

const LABELS = { ours: 'yours (a.ts)', theirs: 'auth-jwt template abc' };

describe('mergeThreeWay', () => {
  const base = 'one\ntwo\nthree\nfour\nfive\n';

  it('keeps both sides when the edits do not overlap', () => {
    const ours = 'one (mine)\ntwo\nthree\nfour\nfive\n';
    const theirs = 'one\ntwo\nthree\nfour\nfive (template)\n';
    expect(mergeThreeWay(ours, base, theirs, LABELS)).toEqual({ text: 'one (mine)\ntwo\nthree\nfour\nfive (template)\n', conflicts: 0 });
  });

  it('writes git-style markers holding both versions when the edits overlap', () => {
    const ours = 'one\ntwo\nTHREE mine\nfour\nfive\n';
    const theirs = 'one\ntwo\nthree v2\nfour\nfive\n';
    const merged = mergeThreeWay(ours, base, theirs, LABELS);
    expect(merged.conflicts).toBe(1);
    expect(merged.text).toBe('one\ntwo\n<<<<<<< yours (a.ts)\nTHREE mine\n=======\nthree v2\n>>>>>>> auth-jwt template abc\nfour\nfive\n');
    expect(hasConflictMarkers(merged.text)).toBe(true);
  });

  it('takes the template change when the user did not touch that part, and the same change on both sides once', () => {
    expect(mergeThreeWay(base, base, 'one\ntwo\n3\nfour\nfive\n', LABELS).text).toBe('one\ntwo\n3\nfour\nfive\n');
    expect(mergeThreeWay('x\n' + base, base, 'x\n' + base, LABELS)).toEqual({ text: 'x\n' + base, conflicts: 0 });
  });

  it('keeps CRLF line endings and a missing final newline', () => {
    const crlfBase = 'a\r\nb\r\nc';
    const merged = mergeThreeWay('a mine\r\nb\r\nc', crlfBase, 'a\r\nb\r\nc v2', LABELS);
    expect(merged).toEqual({ text: 'a mine\r\nb\r\nc v2', conflicts: 0 });
    const conflict = mergeThreeWay('a\r\nb\r\nc mine', crlfBase, 'a\r\nb\r\nc v2', LABELS);
    expect(conflict.text).toBe('a\r\nb\r\n<<<<<<< yours (a.ts)\r\nc mine\r\n=======\r\nc v2\r\n>>>>>>> auth-jwt template abc\r\n');
  });
});

describe('mergeWithoutBase', () => {
  it('marks every differing hunk and keeps the common lines once', () => {
    const merged = mergeWithoutBase('a\nmine\nc\n', 'a\ntheirs\nc\n', LABELS);
    expect(merged.conflicts).toBe(1);
    expect(merged.text).toBe('a\n<<<<<<< yours (a.ts)\nmine\n=======\ntheirs\n>>>>>>> auth-jwt template abc\nc\n');
  });
});

describe('splitLines', () => {
  it('joins back to the exact text', () => {
    for (const sample of ['', 'a', 'a\n', 'a\r\nb', '\n\n', 'a\nb\n\n']) expect(splitLines(sample).join('')).toBe(sample);
  });
  it('does not mistake a line of equals signs alone for markers', () => {
    expect(hasConflictMarkers('=======\n')).toBe(false);
  });
});
