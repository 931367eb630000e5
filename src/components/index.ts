import { CliError } from '../errors.js';
import { authJwt } from './authJwt.js';
import type { Component } from './types.js';

export const COMPONENTS: readonly Component[] = [authJwt];

export function getComponent(name: string): Component {
  const component = COMPONENTS.find((candidate) => candidate.name === name);
  if (!component) {
    throw new CliError(`Unknown component "${name}".`, {
      hint: `Available: ${COMPONENTS.map((c) => c.name).join(', ')}. Run \`backternity list\` for descriptions.`,
      exitCode: 2, // a usage error, like an unknown option
    });
  }
  return component;
}
