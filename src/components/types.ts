import type { EnvEntry } from '../patch/env.js';
import type { ProjectInfo } from '../project/types.js';

export type Store = 'mongodb' | 'postgres' | 'pglite';
export const STORES: readonly Store[] = ['mongodb', 'postgres', 'pglite'];

export function isStore(value: string): value is Store {
  return (STORES as readonly string[]).includes(value);
}

export interface ComponentOptions {
  store: Store;
  /** The refresh token travels in an HttpOnly cookie instead of the JSON body (`--refresh-cookie`). */
  refreshCookie?: boolean;
  /** Rate limits and revocation checks shared through Redis (`--redis`, or an ioredis/redis dependency). */
  redis?: boolean;
  /**
   * The environment the command runs in: a connection setting already set there (DATABASE_URL in a CI job)
   * is what goes into `.env`, instead of a local default. Never into `.env.example`.
   */
  environment?: Readonly<Record<string, string | undefined>>;
}

/** One file the component installs: a template path and where it lands, relative to the app's source dir. */
export interface ComponentFile {
  template: string;
  /** POSIX-style path relative to the source dir, e.g. `routes/auth.ts`. */
  target: string;
}

/** What a component needs from an app. Pure data, computed from the project and the chosen options. */
export interface ComponentManifest {
  name: string;
  description: string;
  files: ComponentFile[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  env: EnvEntry[];
  envExample: EnvEntry[];
  gitignore: string[];
  mount: {
    path: string;
    /** Module (relative to the source dir, no extension) exporting `authRouter`. */
    routerModule: string;
    /** Module exporting `connectAuth()`, awaited before the server starts where top-level await is allowed. */
    connectModule: string;
  };
  nextSteps: string[];
}

export interface Component {
  name: string;
  description: string;
  /** The choices a run must make before building the manifest (asked, flagged or defaulted by the command). */
  resolve(project: ProjectInfo, options: ComponentOptions): ComponentManifest;
}
