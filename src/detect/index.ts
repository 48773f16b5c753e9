/** The pure statistics behind the checks, in one import: `import { judgeRate } from '../detect/index.js'`. */
export * from './random.js';
export * from './stats.js';
export * from './baseline.js';
export * from './rate.js';
export * from './isolation-forest.js';
export * from './episodes.js';
export * from './format.js';
