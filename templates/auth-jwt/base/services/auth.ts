import { authConfig } from '../config/auth.js';
import { openAuthStores } from '../models/index.js';
import { AuthService, type AuthStores } from './authService.js';
import { logSecurityEvent } from './securityLog.js';
import { closeSharedState, connectSharedState, createAccessCache } from './sharedState.js';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

let connection: Promise<{ service: AuthService; stores: AuthStores }> | undefined;
let connected: AuthService | undefined;
let purgeTimer: NodeJS.Timeout | undefined;

/** Opens the auth store once and returns the service; every caller shares the same promise. */
export async function connectAuth(): Promise<AuthService> {
  connection ??= open().catch((error: unknown) => {
    connection = undefined; // let a later call retry
    throw error;
  });
  return (await connection).service;
}

/** The service once connectAuth() has finished, for synchronous fast paths; undefined before that. */
export function connectedAuth(): AuthService | undefined {
  return connected;
}

export async function closeAuth(): Promise<void> {
  const pending = connection;
  connection = undefined;
  connected = undefined;
  clearInterval(purgeTimer);
  const opened = await pending?.catch(() => undefined);
  await opened?.service.close();
  await opened?.stores.close();
  await closeSharedState();
}

async function open(): Promise<{ service: AuthService; stores: AuthStores }> {
  const [stores] = await Promise.all([openAuthStores(), connectSharedState()]);
  const service = new AuthService(stores, authConfig, {
    onSecurityEvent: logSecurityEvent,
    accessCache: createAccessCache(authConfig),
  });
  schedulePurge(service);
  connected = service;
  return { service, stores };
}

/** Expired refresh tokens and denylist entries are useless; remove them now and then every hour. */
function schedulePurge(service: AuthService): void {
  const purge = () => {
    service.purgeExpired().catch((error: unknown) => {
      console.warn(`[auth] could not delete expired tokens: ${describeError(error)}`);
    });
  };
  purge();
  purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
  purgeTimer.unref(); // never keep the process alive just for this
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
