// src/daemon/stages.ts — the startup order (ARCHITECTURE §1, issue 2):
// config → state (trust of the state directory) → store → scanner process → definitions →
// engine → API socket → RTP → ready.
// Shutdown runs in reverse: RTP stops first, then work drains, the API closes, the DB closes.
import type { Stage } from './lifecycle.js';
import { configStage, storeStage } from './core-stages.js';
import { stateStage } from './state-stage.js';
import { apiStage } from '../api/stage.js';
import { threatsStage } from '../threats/stage.js';
import { scansStage } from '../scan/stage.js';
import { definitionsStage, engineStage } from '../definitions/stage.js';
import { rtpStage } from '../rtp/stage.js';
import { scannerStage } from '../scanner/stage.js';

export function daemonStages(): Stage[] {
  return [configStage, stateStage, storeStage, scannerStage, definitionsStage, engineStage, threatsStage, apiStage, scansStage, rtpStage];
}
