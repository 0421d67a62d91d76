import { fullSizes, parseCliOptions, quickSizes, UsageError } from '@longshore/bench';
import { describe, expect, it } from 'vitest';

describe("the bench's small-push warm-up", () => {
  it('is long enough for the JIT by default, short in smoke sizes', () => {
    expect(fullSizes.smallPushWarmupSeconds).toBe(10);
    expect(quickSizes.smallPushWarmupSeconds).toBeLessThan(quickSizes.smallPushSeconds);
  });

  it('is set by --warmup or BENCH_WARMUP_S, beside the window of --duration', () => {
    expect(parseCliOptions(['--warmup', '3', '--duration', '8'], {}).sizes).toEqual({
      smallPushWarmupSeconds: 3,
      smallPushSeconds: 8,
    });
    expect(parseCliOptions([], { BENCH_WARMUP_S: '0' }).sizes).toEqual({ smallPushWarmupSeconds: 0 });
    expect(parseCliOptions([], {}).sizes).toBeUndefined();
  });

  it('refuses a warm-up that is not a whole number of seconds from 0 to 600', () => {
    expect(() => parseCliOptions(['--warmup', '-1'], {})).toThrow(UsageError);
    expect(() => parseCliOptions(['--warmup', '601'], {})).toThrow(/--warmup/);
    expect(() => parseCliOptions(['--warmup', '1.5'], {})).toThrow(/--warmup/);
  });
});
