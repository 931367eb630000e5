/**
 * Shared tooling for the black-box attack suite (checklist: ../../../shared/auth-security-checklist.md): scaffold
 * a real app with the built CLI, boot it with a given environment, talk raw HTTP to it (any header, any body, any
 * source address on 127.0.0.0/8), forge tokens with jsonwebtoken, and read the security events it logs.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { makeSandbox, runCli, runScript, startApp } from '../../scripts/sandbox.mjs';

export const AUTH = '/api/auth';
export const PASSWORD = 'correct horse battery staple';

/** Settings every boot starts from: cheapest allowed bcrypt cost, no limiter unless a test asks for one. */
export const BASE_ENV: Record<string, string> = {
  BCRYPT_COST: '10',
  RATE_LIMIT_ENABLED: 'false',
};

export type Store = 'pglite' | 'postgres' | 'mongodb';

export interface ScaffoldedApp {
  dir: string;
  /** The .env the CLI wrote, parsed. */
  dotenv: Record<string, string>;
  secret: string;
  cleanup(): void;
}

/**
 * Copies the ESM TypeScript fixture, runs `backternity add auth-jwt` on it and builds it. The entry also gets an
 * `/admin-only` route behind `validateAuth, requireRole('admin')`, as a user protecting their own route would.
 */
export function scaffoldApp(store: Store, extraArgs: string[] = []): ScaffoldedApp {
  const sandbox = makeSandbox('ts-esm-nodenext');
  try {
    // SECURITY_TEMPLATES_DIR runs the suite against another copy of the templates (e.g. a commit's).
    const templates = process.env.SECURITY_TEMPLATES_DIR;
    const env = templates ? { BACKTERNITY_TEMPLATES_DIR: templates } : {};
    const scaffold = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', store, ...extraArgs], { cwd: sandbox.dir, env });
    if (scaffold.code !== 0) throw new Error(`backternity add failed (${scaffold.code}):\n${scaffold.stdout}${scaffold.stderr}`);
    addRoleProbeRoute(sandbox.dir);
    const build = runScript(sandbox.dir, 'build');
    if (build.code !== 0) throw new Error(`the scaffolded app does not build:\n${build.output}`);
    const dotenv = parseDotenv(fs.readFileSync(path.join(sandbox.dir, '.env'), 'utf8'));
    const secret = dotenv.JWT_SECRET;
    if (!secret) throw new Error('the CLI wrote no JWT_SECRET to .env');
    return { dir: sandbox.dir, dotenv, secret, cleanup: sandbox.cleanup };
  } catch (error) {
    sandbox.cleanup();
    throw error;
  }
}

function addRoleProbeRoute(dir: string): void {
  const entry = path.join(dir, 'src', 'server.ts');
  const source = fs.readFileSync(entry, 'utf8');
  const mount = "app.use('/api/auth', authRouter, authErrorHandler);";
  if (!source.includes(mount)) throw new Error(`the patched entry has no auth mount line:\n${source}`);
  const probe = [
    mount,
    "app.get('/admin-only', validateAuth, requireRole('admin'), (_req, res) => {",
    "  res.json({ ok: true });",
    '});',
  ].join('\n');
  const withImport = `import { requireRole, validateAuth } from './middleware/auth.js';\n${source}`;
  fs.writeFileSync(entry, withImport.replace(mount, probe));
}

export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

export type RunningApp = Awaited<ReturnType<typeof startApp>>;

export function boot(app: ScaffoldedApp, env: Record<string, string> = {}): Promise<RunningApp> {
  return startApp(app.dir, { env: { ...BASE_ENV, ...env } });
}

// ---- HTTP ----

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: any;
}

export interface RequestOptions {
  /** Sent as JSON with Content-Type: application/json. */
  json?: unknown;
  /** Sent as is (with `contentType` when given). */
  raw?: string;
  contentType?: string;
  token?: string;
  headers?: Record<string, string>;
  /** Source address on the loopback network (127.0.0.0/8), to look like another client. */
  from?: string;
}

/** One request on its own connection, with exactly the headers given (no client adds Origin or cookies). */
export function send(baseUrl: string, method: string, route: string, options: RequestOptions = {}): Promise<HttpResponse> {
  const url = new URL(route, baseUrl);
  const headers: Record<string, string> = { ...options.headers };
  let payload: Buffer | undefined;
  if (options.json !== undefined) {
    payload = Buffer.from(JSON.stringify(options.json));
    headers['content-type'] ??= 'application/json';
  } else if (options.raw !== undefined) {
    payload = Buffer.from(options.raw);
    if (options.contentType) headers['content-type'] = options.contentType;
  }
  if (payload) headers['content-length'] = String(payload.length);
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: false, localAddress: options.from },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body: parseJson(text) });
        });
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error(`${method} ${route} timed out`)));
    request.on('error', reject);
    request.end(payload);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The auth API of one running app. */
export class AuthApi {
  constructor(readonly url: string) {}

  post(route: string, json?: unknown, options: RequestOptions = {}) {
    return send(this.url, 'POST', AUTH + route, { ...options, json });
  }

  get(route: string, options: RequestOptions = {}) {
    return send(this.url, 'GET', AUTH + route, options);
  }

  me(token: string, options: RequestOptions = {}) {
    return this.get('/me', { ...options, token });
  }

  refresh(refreshToken: string, options: RequestOptions = {}) {
    return this.post('/refresh', { refreshToken }, options);
  }

  /** Registers a fresh account and returns its credentials and first session. */
  async signUp(email = uniqueEmail(), password = PASSWORD, options: RequestOptions = {}): Promise<Account> {
    const response = await this.post('/register', { email, password }, options);
    if (response.status !== 201) throw new Error(`register ${email} → ${response.status} ${response.text}`);
    return { email, password, session: response.body.data };
  }

  async signIn(account: { email: string; password: string }, options: RequestOptions = {}): Promise<Session> {
    const response = await this.post('/login', { email: account.email, password: account.password }, options);
    if (response.status !== 200) throw new Error(`login ${account.email} → ${response.status} ${response.text}`);
    return response.body.data;
  }
}

export interface Session {
  token: string;
  refresh: string;
  expiresIn: number;
  user: { id: string; email: string; role: string };
}

export interface Account {
  email: string;
  password: string;
  session: Session;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}@example.com`;
}

// ---- Tokens ----

/** The `kid` the spec binds a key to: the first 16 hex characters of SHA-256(secret). */
export function keyId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

export function decodeToken(token: string): { header: jwt.JwtHeader; payload: jwt.JwtPayload } {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new Error(`not a JWT: ${token}`);
  return { header: decoded.header, payload: decoded.payload };
}

/** Signs `payload` exactly as given (no iat/exp added) with HMAC `secret` or any key jsonwebtoken accepts. */
export function forge(payload: Record<string, unknown>, key: jwt.Secret, header: Record<string, unknown> & { alg: jwt.Algorithm }): string {
  // jsonwebtoken keeps a given iat; noTimestamp (which would delete it) only where there is none to keep.
  return jwt.sign(payload, key, { algorithm: header.alg, header: header as jwt.JwtHeader, ...('iat' in payload ? {} : { noTimestamp: true }) });
}

/** An unsigned token (`alg` given by the attacker, empty signature). */
export function forgeUnsigned(payload: Record<string, unknown>, alg: string, kid?: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })}.${encode(payload)}.`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---- Logs ----

export interface SecurityEvent {
  level: string;
  source: string;
  event: string;
  userId?: string | null;
  ip?: string;
  userAgent?: string;
  time: string;
  familyId?: string;
  [key: string]: unknown;
}

/** The JSON security events the app printed so far. */
export function securityEvents(app: RunningApp): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  for (const line of app.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = parseJson(line) as SecurityEvent | undefined;
    if (parsed && parsed.source === 'auth') events.push(parsed);
  }
  return events;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function randomSecret(): string {
  // The shape `openssl rand -base64 48` prints: + / and = included.
  return randomBytes(48).toString('base64');
}
