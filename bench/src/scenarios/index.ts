import type { ScenarioName } from '../bench-options.js';
import type { ScenarioDefinition } from '../scenario.js';
import { authOnVsOff } from './auth-on-vs-off.js';
import { fourLargeLayers } from './four-large-layers.js';
import { fullVerify } from './full-verify.js';
import { listings } from './listings.js';
import { largeLayerEcr, largeLayerRaw, largeLayerV2 } from './large-layer.js';
import { memory, memoryRaw, memoryV2 } from './memory.js';
import { pullThrough } from './pull-through.js';
import { sequentialPushes } from './sequential-pushes.js';
import { smallPushes, smallPushesV2 } from './small-pushes.js';

export const scenarioDefinitions: Record<ScenarioName, ScenarioDefinition> = {
  'small-pushes': smallPushes,
  'small-pushes-v2': smallPushesV2,
  'sequential-pushes': sequentialPushes,
  'auth-on-vs-off': authOnVsOff,
  'large-layer': largeLayerEcr,
  'large-layer-raw': largeLayerRaw,
  'large-layer-v2': largeLayerV2,
  'four-large-layers': fourLargeLayers,
  'full-verify': fullVerify,
  memory,
  'memory-raw': memoryRaw,
  'memory-v2': memoryV2,
  'pull-through': pullThrough,
  listings,
};
