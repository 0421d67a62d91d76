import type { ScenarioName } from '../bench-options.js';
import type { ScenarioDefinition } from '../scenario.js';
import { fourLargeLayers } from './four-large-layers.js';
import { fullVerify } from './full-verify.js';
import { largeLayerEcr, largeLayerRaw } from './large-layer.js';
import { memory } from './memory.js';
import { smallPushes } from './small-pushes.js';

export const scenarioDefinitions: Record<ScenarioName, ScenarioDefinition> = {
  'small-pushes': smallPushes,
  'large-layer': largeLayerEcr,
  'large-layer-raw': largeLayerRaw,
  'four-large-layers': fourLargeLayers,
  'full-verify': fullVerify,
  memory,
};
