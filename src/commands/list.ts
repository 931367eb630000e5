import { COMPONENTS } from '../components/index.js';
import { createLogger } from '../ui/logger.js';

export function listCommand(): number {
  const logger = createLogger();
  const width = Math.max(...COMPONENTS.map((component) => component.name.length));
  logger.info('Available components:');
  for (const component of COMPONENTS) {
    logger.info(`  ${logger.colors.bold(component.name.padEnd(width))}  ${component.description}`);
  }
  logger.line();
  logger.info(`Add one with: ${logger.colors.cyan('npx backternity add <component>')}`);
  return 0;
}
