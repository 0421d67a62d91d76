import type { FigureSpec, RunResult, ScenarioContext, ScenarioDefinition } from '../scenario.js';
import { ecrPush, ecrSteps, measureSmallPushes, ociPush, ociSteps, smallPushLoadMs } from './small-pushes.js';

type Door = 'ecr' | 'v2';
const doorLabel: Record<Door, string> = { ecr: 'ECR door', v2: '/v2' };

/** Per door: pushes/s and CPU per push with authentication on, with AUTH=off, and on ÷ off. */
const doorFigures = (door: Door): FigureSpec[] => [
  {
    name: `${door}OnOffRatio`,
    label: `${doorLabel[door]} pushes/s, auth on ÷ AUTH=off`,
    unit: 'ratio',
    // Issue 17: authentication costs at most 10 % of the small pushes per second.
    target: { min: 0.9 },
  },
  { name: `${door}PushesPerSecond`, label: `${doorLabel[door]} pushes/s, auth on`, unit: 'pushes/s' },
  { name: `${door}OffPushesPerSecond`, label: `${doorLabel[door]} pushes/s, AUTH=off`, unit: 'pushes/s' },
  { name: `${door}CpuMsPerPush`, label: `${doorLabel[door]} server CPU per push, auth on`, unit: 'ms' },
  { name: `${door}OffCpuMsPerPush`, label: `${doorLabel[door]} server CPU per push, AUTH=off`, unit: 'ms' },
];

async function smallPushesBothDoors(ctx: ScenarioContext): Promise<RunResult> {
  await ctx.oci.probe({ signal: ctx.signal });
  const ecr = await measureSmallPushes(ctx, ecrSteps, ecrPush, ctx.ecr);
  const v2 = await measureSmallPushes(ctx, ociSteps, ociPush);
  const figures: Record<string, number> = {};
  for (const [door, result] of [
    ['ecr', ecr],
    ['v2', v2],
  ] as const) {
    figures[`${door}PushesPerSecond`] = result.figures.pushesPerSecond!;
    if (result.figures.cpuMsPerPush !== undefined) figures[`${door}CpuMsPerPush`] = result.figures.cpuMsPerPush;
    if (result.figures.errors) throw new Error(`${result.figures.errors} ${doorLabel[door]} pushes failed`);
  }
  return { figures, detail: { ecr: ecr.detail, v2: v2.detail } };
}

/**
 * Issue 17's "authentication on vs AUTH=off": each run pushes the small-pushes load over the
 * ECR door and then over /v2 on a service with authentication on, then the same on a fresh
 * service with AUTH=off. The clients sign and log in both times, so only the service's work
 * differs.
 */
export const authOnVsOff: ScenarioDefinition = {
  name: 'auth-on-vs-off',
  summary:
    'the small pushes (ECR door, then /v2) on a service with authentication on, then on one with AUTH=off; ' +
    'pushes/s on ÷ off per door',
  serviceEnv: { VERIFY_MODE: 'parts' },
  figures: [...doorFigures('ecr'), ...doorFigures('v2')],
  timeoutMs: (sizes) => 2 * smallPushLoadMs(sizes) + 120_000,
  run: smallPushesBothDoors,
  authOff: {
    combine(on, off) {
      const figures = { ...on.figures };
      for (const door of ['ecr', 'v2'] as const) {
        const onRate = on.figures[`${door}PushesPerSecond`];
        const offRate = off.figures[`${door}PushesPerSecond`];
        if (offRate !== undefined) figures[`${door}OffPushesPerSecond`] = offRate;
        const offCpu = off.figures[`${door}CpuMsPerPush`];
        if (offCpu !== undefined) figures[`${door}OffCpuMsPerPush`] = offCpu;
        if (onRate !== undefined && offRate) figures[`${door}OnOffRatio`] = onRate / offRate;
      }
      return { figures, detail: { loadAverage: on.detail.loadAverage, on: on.detail, off: off.detail } };
    },
  },
};
