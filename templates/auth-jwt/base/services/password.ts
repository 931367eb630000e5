import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** bcrypt ignores everything after the first 72 bytes, so longer passwords are refused, not truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MAX_CHARS = 128;

export type PasswordProblem = 'password_too_short' | 'password_too_long';

/** Checks a new password. Nothing is trimmed or case-folded: spaces and Unicode are part of it. */
export function checkNewPassword(password: string, minLength: number): PasswordProblem | null {
  // Count code points, so an emoji is one character, as the user sees it.
  const length = Array.from(password).length;
  if (length < minLength) return 'password_too_short';
  if (length > PASSWORD_MAX_CHARS || exceedsBcryptLimit(password)) return 'password_too_long';
  return null;
}

export function exceedsBcryptLimit(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
}

export class PasswordHasher {
  // Computed once, at start-up, with the configured cost so it takes as long as a real hash.
  private readonly dummyHash: Promise<string>;

  constructor(private readonly cost: number) {
    this.dummyHash = this.hash(randomBytes(16).toString('hex'));
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }

  /**
   * Spends the same time as a real check and always fails. Used when the email is unknown,
   * so response timing does not reveal which accounts exist.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    await bcrypt.compare(password, await this.dummyHash);
    return false;
  }
}
