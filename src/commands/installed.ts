import path from 'node:path';
import { getComponent } from '../components/index.js';
import type { Component, ComponentManifest, ComponentOptions } from '../components/types.js';
import { readManifest, type LoadedManifest } from '../manifest/manifest.js';
import { notInstalled } from '../plan/removePlan.js';
import { detectProject } from '../project/detect.js';
import type { ProjectInfo } from '../project/types.js';

/** An installed component as `diff` and `remove` see it: the app, its record, and the templates resolved with the recorded options. */
export interface InstalledComponentContext {
  component: Component;
  project: ProjectInfo;
  installed: LoadedManifest;
  record: NonNullable<LoadedManifest['manifest']['components'][string]>;
  options: ComponentOptions;
  manifest: ComponentManifest;
}

export function loadInstalledComponent(componentName: string, cwd: string): InstalledComponentContext {
  const component = getComponent(componentName);
  const project = detectProject(path.resolve(cwd));
  const installed = readManifest(project.root);
  const record = installed.manifest.components[component.name];
  if (!record) throw notInstalled(component.name);
  // The recorded choices, not today's flags or dependencies: these describe what is on disk.
  const options: ComponentOptions = { store: record.options.store, refreshCookie: record.options.refreshCookie, redis: record.options.redis };
  return { component, project, installed, record, options, manifest: component.resolve(project, options) };
}
