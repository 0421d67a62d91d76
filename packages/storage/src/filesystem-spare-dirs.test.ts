import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpareDirectories } from './filesystem-spare-dirs.js';

describe('SpareDirectories.takeInto', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Takes into a new target under root until a take succeeds (the first misses list the spares). */
  async function takeOnceListed(pool: SpareDirectories, name: string): Promise<void> {
    let n = 0;
    await expect
      .poll(() => {
        n += 1;
        return pool.takeInto(join(root, `${name}-${n}`));
      })
      .toBe(true);
  }

  it('skips a spare another process took since its listing, and throws any other error with its stack', async () => {
    root = mkdtempSync(join(tmpdir(), 'spare-dirs-'));
    const spares = join(root, '.spare');
    for (const name of ['a', 'b', 'c', 'd']) mkdirSync(join(spares, name), { recursive: true });
    const one = new SpareDirectories(spares);
    const two = new SpareDirectories(spares);
    await takeOnceListed(one, 'one'); // lists a-d, takes one: three left in its listing
    await takeOnceListed(two, 'two'); // lists the three on disk, takes one of them
    // `one` still lists the spare `two` took: it is skipped, the two others are taken.
    const taken = [one.takeInto(join(root, 'x1')), one.takeInto(join(root, 'x2')), one.takeInto(join(root, 'x3'))];
    expect(taken).toEqual([true, true, false]);
    expect(readdirSync(spares)).toEqual([]);
    expect(readdirSync(root).filter((name) => name !== '.spare')).toHaveLength(4);

    mkdirSync(join(spares, 'e'));
    const occupied = join(root, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'file'), 'x');
    let thrown: unknown;
    await expect
      .poll(() => {
        try {
          return one.takeInto(occupied);
        } catch (error) {
          thrown = error;
          return 'thrown';
        }
      })
      .toBe('thrown');
    expect((thrown as NodeJS.ErrnoException).code).toMatch(/ENOTEMPTY|EEXIST/);
    expect((thrown as Error).stack).toContain('takeInto');
    expect(readdirSync(spares)).toEqual(['e']);
  });
});
