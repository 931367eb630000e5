import { DuplicateEmailError, type User, type UserStore, type UserWithPasswordHash } from '../services/authService.js';
import { isUniqueViolation, type SqlClient } from './schema.js';

interface UserRow {
  id: string;
  email: string;
  role: string;
  token_version: number;
  created_at: Date;
}

interface UserRowWithPasswordHash extends UserRow {
  password_hash: string;
}

const USER_COLUMNS = 'id, email, role, token_version, created_at';
// Lets a malformed id (from an old or foreign token) miss instead of raising a cast error.
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createSqlUserStore(db: SqlClient): UserStore {
  return {
    async create({ email, passwordHash }) {
      try {
        const { rows } = await db.query<UserRow>(
          `INSERT INTO auth_users (email, password_hash) VALUES ($1, $2) RETURNING ${USER_COLUMNS}`,
          [email, passwordHash],
        );
        return toUser(firstRow(rows));
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateEmailError();
        throw error;
      }
    },

    async findByEmail(email) {
      const { rows } = await db.query<UserRowWithPasswordHash>(
        `SELECT ${USER_COLUMNS}, password_hash FROM auth_users WHERE email = $1`,
        [email],
      );
      const row = rows[0];
      return row ? toUserWithPasswordHash(row) : null;
    },

    async findById(id) {
      if (!UUID_PATTERN.test(id)) return null;
      const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth_users WHERE id = $1`, [id]);
      const row = rows[0];
      return row ? toUser(row) : null;
    },

    async incrementTokenVersion(id) {
      if (!UUID_PATTERN.test(id)) return;
      await db.query('UPDATE auth_users SET token_version = token_version + 1 WHERE id = $1', [id]);
    },

    async updatePasswordHash(id, passwordHash, expected) {
      if (!UUID_PATTERN.test(id)) return false;
      const { rows } = await db.query(
        'UPDATE auth_users SET password_hash = $2 WHERE id = $1 AND password_hash = $3 RETURNING id',
        [id, passwordHash, expected],
      );
      return rows.length > 0;
    },
  };
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    tokenVersion: row.token_version,
    createdAt: row.created_at,
  };
}

function toUserWithPasswordHash(row: UserRowWithPasswordHash): UserWithPasswordHash {
  return { ...toUser(row), passwordHash: row.password_hash };
}

function firstRow<T>(rows: T[]): T {
  const row = rows[0];
  if (!row) throw new Error('INSERT ... RETURNING returned no row');
  return row;
}
