// src/api/routes/index.ts — every route plugin, in one list. Routes read components from
// Services at request time, so a component that failed to start answers 503, not 404.
import type { Api } from '../app.js';
import type { Services } from '../../daemon/services.js';
import { healthRoutes } from './health.js';
import { configRoutes } from './config.js';
import { exclusionRoutes } from './exclusions.js';
import { diagnosticRoutes } from './diagnostic.js';
import { versionRoutes } from './version.js';
import { threatRoutes } from './threats.js';
import { scanRoutes } from './scans.js';
import { definitionsRoutes } from './definitions.js';
import { rtpRoutes } from './rtp.js';

export function allRoutes(s: Services): ((app: Api) => void)[] {
  return [healthRoutes(s), configRoutes(s), exclusionRoutes(s), diagnosticRoutes(s), versionRoutes(s), threatRoutes(s), scanRoutes(s), definitionsRoutes(s), rtpRoutes(s)];
}
