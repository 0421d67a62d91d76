import type { EcrClient } from '../ecr-client.js';
import type { FigureSpec, PeerContext, RunResult, ScenarioDefinition } from '../scenario.js';
import { ecrPush, ecrSteps, measureSmallPushes, ociPush, ociSteps, type PushOnce } from './small-pushes.js';

/**
 * Issue 17: one client pushing small layers one after another on an otherwise idle server, so
 * each push waits for every step on its critical path (durable writes included) and for nothing
 * else. Over /v2 and over the ECR door (one after the other on the same service); the peer
 * pushes over /v2, and both doors are compared with that.
 */
const doorFigures = (door: 'v2' | 'ecr', label: string): FigureSpec[] => [
  { name: `${door}P50Ms`, label: `${label} push latency p50`, unit: 'ms', peerTargets: [{ maxTimesPeer: 2 }] },
  { name: `${door}P99Ms`, label: `${label} push latency p99`, unit: 'ms' },
  { name: `${door}PushesPerSecond`, label: `${label} pushes/s`, unit: 'pushes/s' },
  { name: `${door}CpuMsPerPush`, label: `${label} server CPU per push`, unit: 'ms' },
];

async function oneClient(
  ctx: PeerContext,
  steps: string[],
  push: PushOnce,
  door: 'v2' | 'ecr',
  ecr?: EcrClient,
): Promise<RunResult> {
  ctx.progress(`sequential pushes over ${door === 'v2' ? '/v2' : 'the ECR door'}`);
  const { figures, detail } = await measureSmallPushes(
    { ...ctx, sizes: { ...ctx.sizes, smallPushClients: 1 } },
    steps,
    push,
    ecr,
  );
  return {
    figures: Object.fromEntries(
      (['p50Ms', 'p99Ms', 'pushesPerSecond', 'cpuMsPerPush'] as const).flatMap((name) =>
        figures[name] === undefined ? [] : [[`${door}${name[0]!.toUpperCase()}${name.slice(1)}`, figures[name]!]],
      ),
    ),
    detail: { [door]: detail },
  };
}

export const sequentialPushes: ScenarioDefinition = {
  name: 'sequential-pushes',
  summary:
    'one client pushing 64 KiB layers one after another on an otherwise idle service, first over /v2 ' +
    '(POST + monolithic PUT ?digest=), then over the ECR door (initiate, part, complete); latency p50/p99 and CPU per push',
  serviceEnv: { VERIFY_MODE: 'parts' },
  figures: [...doorFigures('v2', '/v2'), ...doorFigures('ecr', 'ECR door')],
  timeoutMs: (sizes) => 2 * (sizes.smallPushSeconds * 1000 + 2_000) + 120_000,
  async run(ctx) {
    await ctx.oci.probe({ signal: ctx.signal });
    const v2 = await oneClient(ctx, ociSteps, ociPush, 'v2');
    const ecr = await oneClient(ctx, ecrSteps, ecrPush, 'ecr', ctx.ecr);
    return { figures: { ...v2.figures, ...ecr.figures }, detail: { ...v2.detail, ...ecr.detail } };
  },
  peer: {
    summary: 'the same one client over /v2; both of Longshore’s doors are compared with it',
    async run(ctx) {
      const v2 = await oneClient(ctx, ociSteps, ociPush, 'v2');
      // Its /v2 figures stand against the ECR door's too (the yardstick for both doors).
      const asEcr = Object.entries(v2.figures).map(([name, value]) => [name.replace(/^v2/, 'ecr'), value]);
      return { figures: { ...v2.figures, ...Object.fromEntries(asEcr) }, detail: v2.detail };
    },
  },
};
