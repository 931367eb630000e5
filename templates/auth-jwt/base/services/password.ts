import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { BLOCKED_PASSWORDS } from './commonPasswords.js';
import { HashWorkerPool, resolveBcryptPath, type HashTask } from './hashWorkers.js';

/** bcrypt ignores everything after the first 72 bytes, so longer passwords are refused, not truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MAX_CHARS = 128;

export type PasswordProblem = 'password_too_short' | 'password_too_long' | 'password_too_common';

// Runs of keys or digits people type as "long" passwords (123456789012345, qwertyuiopasdf).
const SEQUENCES = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiopasdfghjklzxcvbnm'];
/** A password that is one short string repeated (passwordpassword, abcabcabcabc) is only as strong as that string. */
const MAX_REPEATED_UNIT = 8;

/** Checks a new password. Nothing is trimmed or case-folded: spaces and Unicode are part of it. */
export function checkNewPassword(password: string, minLength: number): PasswordProblem | null {
  // Count code points, so an emoji is one character, as the user sees it.
  const length = Array.from(password).length;
  if (length < minLength) return 'password_too_short';
  if (length > PASSWORD_MAX_CHARS || exceedsBcryptLimit(password)) return 'password_too_long';
  if (isCommonPassword(password)) return 'password_too_common';
  return null;
}

export function exceedsBcryptLimit(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
}

/** Listed among the most common passwords, one short string repeated, or a run along the keyboard. */
export function isCommonPassword(password: string): boolean {
  const folded = password.toLowerCase();
  if (BLOCKED_PASSWORDS.has(folded)) return true;
  const unit = repeatedUnit(folded);
  if (unit !== undefined && (unit.length <= MAX_REPEATED_UNIT || BLOCKED_PASSWORDS.has(unit))) return true;
  return SEQUENCES.some((sequence) => isRunAlong(folded, sequence));
}

/** The shortest string that, repeated, gives `text`; undefined if there is none shorter than `text`. */
function repeatedUnit(text: string): string | undefined {
  for (let size = 1; size <= text.length / 2; size++) {
    if (text.length % size === 0 && text.slice(0, size).repeat(text.length / size) === text) {
      return text.slice(0, size);
    }
  }
  return undefined;
}

function isRunAlong(text: string, sequence: string): boolean {
  const cycle = sequence.repeat(Math.ceil(text.length / sequence.length) + 1);
  const backwards = [...cycle].reverse().join('');
  return cycle.includes(text) || backwards.includes(text);
}

/**
 * bcryptjs off the event loop: in worker threads when bcryptjs can be located for them, otherwise (an
 * unusual layout) on the main thread with bcryptjs's own chunked async API, with a warning.
 */
export class PasswordHasher {
  private readonly cost: number;
  private readonly pool: HashWorkerPool | undefined;
  // Computed once, at start-up, with the configured cost so it takes as long as a real hash.
  private readonly dummyHash: Promise<string>;

  constructor(cost: number) {
    this.cost = cost;
    const bcryptPath = resolveBcryptPath();
    if (bcryptPath) {
      this.pool = new HashWorkerPool(bcryptPath);
    } else {
      console.warn('[auth] bcryptjs could not be located for worker threads; hashing on the main thread');
    }
    this.dummyHash = this.hash(randomBytes(16).toString('hex'));
    this.dummyHash.catch(() => undefined); // a failure surfaces on first use, not as an unhandled rejection
  }

  async hash(password: string): Promise<string> {
    return String(await this.run({ op: 'hash', password, cost: this.cost }));
  }

  async verify(password: string, hash: string): Promise<boolean> {
    return (await this.run({ op: 'compare', password, hash })) === true;
  }

  /**
   * Spends the same time as a real check and always fails. Used when the email is unknown,
   * so response timing does not reveal which accounts exist.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(password, await this.dummyHash);
    return false;
  }

  /** True for hashes made with a lower cost than configured (BCRYPT_COST was raised since). */
  needsRehash(hash: string): boolean {
    try {
      return bcrypt.getRounds(hash) < this.cost;
    } catch {
      return false; // not a bcrypt hash we can read; leave it alone
    }
  }

  close(): Promise<void> {
    return this.pool?.close() ?? Promise.resolve();
  }

  private run(task: HashTask): Promise<string | boolean> {
    if (this.pool) return this.pool.run(task);
    return task.op === 'hash' ? bcrypt.hash(task.password, task.cost) : bcrypt.compare(task.password, task.hash);
  }
}
