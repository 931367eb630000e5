import fs from 'node:fs';
import path from 'node:path';
import { generateJwtSecret } from '../patch/env.js';
import { templatesRoot } from '../paths.js';
import type { ProjectInfo } from '../project/types.js';
import type { Component, ComponentFile, ComponentManifest, ComponentOptions, Store } from './types.js';

/**
 * Version ranges the templates are written and tested against. Floors matter for security: jsonwebtoken 9
 * fixed CVE-2022-23539/-23540/-23541; mongoose 8.9+ applies sanitizeFilter everywhere (GHSA-pcrw-h46h-c93h).
 */
const RUNTIME_DEPENDENCIES = {
  bcryptjs: '^3.0.3',
  dotenv: '^17.2.0',
  'express-rate-limit': '^8.2.1',
  jsonwebtoken: '^9.0.3',
  zod: '^4.1.0',
} as const;

const STORE_DEPENDENCIES: Record<Store, Record<string, string>> = {
  mongodb: { mongoose: '^8.24.0' },
  postgres: { pg: '^8.16.0' },
  pglite: { '@electric-sql/pglite': '^0.5.17' },
};

const STORE_DEV_DEPENDENCIES: Record<Store, Record<string, string>> = {
  mongodb: {},
  postgres: { '@types/pg': '^8.15.0' },
  pglite: {},
};

/** `--refresh-cookie`: the refresh token travels in an HttpOnly cookie; CSRF defence needs the app's origins. */
const COOKIE_ENV = [
  { key: 'REFRESH_TOKEN_TRANSPORT', value: 'cookie', comment: 'Refresh token in an HttpOnly __Host-rt cookie (body = in JSON)' },
  {
    key: 'AUTH_ALLOWED_ORIGINS',
    value: '',
    comment: 'Origins allowed to refresh/logout with the cookie, comma-separated, e.g. https://app.example.com (include your own site)',
  },
];

/**
 * `--redis`: rate-limit counters and revocation checks shared by every instance. ioredis is the client
 * the Redis team maintains for Node with TypeScript types included; the rate-limit store is generated
 * (services/redisRateLimitStore.ts), so there is no second package to keep in step with express-rate-limit.
 */
const REDIS_DEPENDENCIES = { ioredis: '^6.1.0' } as const;

const REDIS_ENV = [
  { key: 'REDIS_URL', value: 'redis://127.0.0.1:6379', comment: 'Redis for rate limits and revocation checks shared by every instance' },
];

const DESCRIPTION = 'JWT authentication: register, login, me, refresh (rotating) and logout, with validateAuth middleware';

export const authJwt: Component = {
  name: 'auth-jwt',
  description: DESCRIPTION,
  resolve(project: ProjectInfo, { store, refreshCookie = false, redis = false, environment = {} }: ComponentOptions): ComponentManifest {
    const database = databaseName(project);
    const storeEnv = {
      mongodb: { key: 'MONGODB_URI', value: `mongodb://127.0.0.1:27017/${database}`, comment: 'MongoDB connection string' },
      postgres: { key: 'DATABASE_URL', value: `postgres://postgres@127.0.0.1:5432/${database}`, comment: 'PostgreSQL connection string' },
      pglite: { key: 'PGLITE_DATA_DIR', value: './.data/auth', comment: 'Where the embedded PGlite database keeps its files' },
    }[store];
    const common = [
      { key: 'JWT_EXPIRES_IN', value: '15m', comment: 'Access token lifetime: <n>s|m|h|d, or digits for seconds' },
      { key: 'REFRESH_EXPIRES_IN', value: '30d', comment: 'Refresh session lifetime (absolute: rotation does not extend it)' },
      storeEnv,
      ...(refreshCookie ? COOKIE_ENV : []),
      ...(redis ? REDIS_ENV : []),
    ];
    // Connection settings the environment already has (a CI job's DATABASE_URL) beat the local defaults.
    const connections = new Set([storeEnv.key, ...(redis ? REDIS_ENV.map((entry) => entry.key) : [])]);
    const fromEnvironment = (entry: (typeof common)[number]) => {
      const value = connections.has(entry.key) ? environment[entry.key]?.trim() : undefined;
      return value ? { ...entry, value } : entry;
    };
    return {
      name: 'auth-jwt',
      description: DESCRIPTION,
      files: templateFolders(store, redis).flatMap(listTemplates),
      dependencies: { ...RUNTIME_DEPENDENCIES, ...STORE_DEPENDENCIES[store], ...(redis ? REDIS_DEPENDENCIES : {}) },
      devDependencies: project.language === 'ts' ? typeDependencies(project, store) : {},
      env: [{ key: 'JWT_SECRET', value: generateJwtSecret(), comment: 'HMAC key for access tokens (keep it secret; 256+ random bits)' }, ...common.map(fromEnvironment)],
      envExample: [{ key: 'JWT_SECRET', value: 'CHANGE_ME', comment: 'Generate one: openssl rand -base64 48' }, ...common],
      gitignore: store === 'pglite' ? ['.env', '.data/'] : ['.env'],
      mount: { path: '/api/auth', routerModule: 'routes/auth', connectModule: 'services/auth' },
      nextSteps: redis ? ['Make sure Redis is reachable at REDIS_URL (see .env): the app stops at start-up if it is not.'] : [],
    };
  },
};

/**
 * Template folders for a store, in copy order. Every folder mirrors the app's source dir, so they all merge
 * into it: postgres and pglite share the SQL store (`stores/sql`) and add only their driver's `models/index.ts`;
 * `state/memory` or `state/redis` provides `services/sharedState.ts` (rate-limit counters, revocation cache).
 */
export function templateFolders(store: Store, redis = false): string[] {
  const sql = store === 'postgres' || store === 'pglite' ? ['auth-jwt/stores/sql'] : [];
  return ['auth-jwt/base', ...sql, `auth-jwt/stores/${store}`, `auth-jwt/state/${redis ? 'redis' : 'memory'}`];
}

/** @types packages the generated TypeScript needs, unless the app already has them. */
function typeDependencies(project: ProjectInfo, store: Store): Record<string, string> {
  const types: Record<string, string> = {
    '@types/jsonwebtoken': '^9.0.10',
    '@types/express': project.expressMajor === 4 ? '^4.17.25' : '^5.0.6',
    '@types/node': '^20.11.0',
    ...STORE_DEV_DEPENDENCIES[store],
  };
  return types;
}

/** Every file under a template folder, as template path + target path relative to the app's source dir. */
function listTemplates(folder: string): ComponentFile[] {
  const root = path.join(templatesRoot(), ...folder.split('/'));
  if (!fs.existsSync(root)) throw new Error(`Template folder missing: ${root}`);
  const files: ComponentFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const target = path.relative(root, full).split(path.sep).join('/');
        files.push({ template: full, target });
      }
    }
  };
  walk(root);
  return files;
}

/** A database name derived from the app's package name (`@acme/my-api` → `my_api`). */
function databaseName(project: ProjectInfo): string {
  const name = typeof project.packageJson.name === 'string' ? project.packageJson.name : path.basename(project.root);
  const cleaned = name.replace(/^@[^/]+\//, '').replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
  return cleaned || 'app';
}
