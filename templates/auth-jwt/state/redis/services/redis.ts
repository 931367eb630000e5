import { Redis } from 'ioredis';
import { AuthConfigError, readStoreSetting } from '../config/auth.js';

/**
 * The one Redis connection the auth kit shares between its rate limiters and revocation checks.
 * While Redis is unreachable, commands fail at once instead of queueing (callers fall back or answer
 * 503), and the client keeps reconnecting in the background.
 */

const START_UP_TIMEOUT_MS = 5000;
// A Redis that stops answering (network cut, not closed) must not hold requests for long.
const COMMAND_TIMEOUT_MS = 1000;

let client: Redis | undefined;
let down = false;

/**
 * What the revocation cache must know about the server before it trusts Redis to hold every revoked jti:
 * its run id (a restart, possibly from an older snapshot, is a new run whose data may lack recent
 * revocations) and whether it may evict keys (an evicted revocation would look like none). Read at every
 * (re)connection; `evictionSafe` is false until proven, also where CONFIG is not allowed (managed Redis).
 */
export const redisServer: { runId: string | undefined; evictionSafe: boolean } = { runId: undefined, evictionSafe: false };
let warnedEviction = false;

/** Keys are `<REDIS_KEY_PREFIX><kind>:<id>`; the prefix keeps them apart from your app's own keys. */
export function redisKey(...parts: string[]): string {
  return `${process.env['REDIS_KEY_PREFIX'] ?? 'auth:'}${parts.join(':')}`;
}

export function redis(): Redis {
  client ??= createClient();
  return client;
}

/** Start-up: a wrong REDIS_URL stops the app with a message naming it, like the database setting. */
export async function waitForRedis(): Promise<void> {
  const connection = redis();
  try {
    await withTimeout(readyOrFail(connection), START_UP_TIMEOUT_MS);
  } catch (error) {
    throw new AuthConfigError('REDIS_URL', `Could not connect to Redis at REDIS_URL (${describeError(error)})`);
  }
}

export async function closeRedis(): Promise<void> {
  const connection = client;
  client = undefined;
  await connection?.quit().catch(() => connection.disconnect());
}

/**
 * Called when a command failed. A timeout means the connection stopped answering: drop it so the next
 * commands fail at once while ioredis reconnects, instead of each waiting for the timeout.
 */
export function noteRedisFailure(error: unknown): void {
  reportDown(error);
  if (error instanceof Error && /timed? ?out/i.test(error.message)) client?.disconnect(true);
}

function createClient(): Redis {
  const connection = new Redis(readStoreSetting('REDIS_URL'), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: START_UP_TIMEOUT_MS,
    // Reconnect for ever, at most every 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Without an 'error' listener, a lost connection would crash the process.
  connection.on('error', reportDown);
  connection.on('ready', () => {
    if (down) console.warn('[auth] Redis is reachable again');
    down = false;
    readServerFacts(connection).catch(noteRedisFailure);
  });
  return connection;
}

async function readServerFacts(connection: Redis): Promise<void> {
  redisServer.runId = undefined;
  const info = await connection.info('server');
  const runId = /^run_id:(\w+)/m.exec(info)?.[1];
  let policy: string | undefined;
  try {
    const reply: unknown = await connection.config('GET', 'maxmemory-policy');
    policy = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
  } catch {
    policy = undefined; // CONFIG is disabled on many managed services
  }
  redisServer.evictionSafe = policy === 'noeviction';
  redisServer.runId = runId;
  if (!redisServer.evictionSafe && !warnedEviction) {
    warnedEviction = true;
    console.warn(
      `[auth] Redis maxmemory-policy is ${policy ?? 'unknown'}, not noeviction: an evicted revocation would look like none, ` +
        'so access tokens Redis does not know are also checked in the database. Set maxmemory-policy noeviction to avoid that.',
    );
  }
}

/** One line per outage, not one per failed command or reconnection attempt. */
function reportDown(error: unknown): void {
  if (down) return;
  down = true;
  console.error(
    `[auth] Redis is unreachable (${describeError(error)}): checks fall back to the database, rate limits ` +
      'to this process, and logout, logout-all and change-password answer 503 until it is back',
  );
}

function readyOrFail(connection: Redis): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      connection.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      connection.off('ready', onReady);
      reject(error);
    };
    connection.once('ready', onReady);
    connection.once('error', onError);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message || (error as { code?: string }).code || error.name;
}
