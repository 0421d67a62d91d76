export {
  parseLifecyclePolicy,
  type LifecyclePolicy,
  type LifecycleRule,
  type LifecycleTagStatus,
  type LifecycleCountType,
} from './lifecycle-policy.js';
export {
  evaluateLifecyclePolicy,
  lifecycleEvaluator,
  byPushOrder,
  inRuleOrder,
  tagPatternMatcher,
  type LifecycleImage,
  type LifecycleExpiry,
} from './evaluate-lifecycle-policy.js';
