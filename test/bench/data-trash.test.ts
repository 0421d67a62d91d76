import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { discardAtEnd, removeDiscarded, spreadDataRoot } from '@longshore/bench';
import { describe, expect, it } from 'vitest';

describe("the bench's finished data directories", () => {
  it('empties their files at once, nested ones too, keeps the directories until the end, then removes them', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'data-trash-outside-'));
    const kept = path.join(outside, 'kept');
    await writeFile(kept, 'not the run’s');
    const dir = await mkdtemp(path.join(tmpdir(), 'data-trash-'));
    await mkdir(path.join(dir, 'blobs', 'sha256', 'ab'), { recursive: true });
    await writeFile(path.join(dir, 'top'), Buffer.alloc(10_000, 1));
    await writeFile(path.join(dir, 'blobs', 'sha256', 'ab', 'data'), Buffer.alloc(20_000, 2));
    // A link to a file elsewhere is not followed.
    await symlink(kept, path.join(dir, 'link'));

    await discardAtEnd(dir);
    expect((await stat(path.join(dir, 'top'))).size).toBe(0);
    expect((await stat(path.join(dir, 'blobs', 'sha256', 'ab', 'data'))).size).toBe(0);
    expect(await readFile(kept, 'utf8')).toBe('not the run’s');

    await removeDiscarded();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(kept, 'utf8')).toBe('not the run’s');
    await rm(outside, { recursive: true });
  });
});

describe("the directory the bench's runs are made in", () => {
  it('is a fresh directory marked for ext4 to spread its subdirectories (when the file system has the flag), removed at the end', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'spread-parent-'));
    const { dir, spread } = await spreadDataRoot(parent);
    expect(path.dirname(dir)).toBe(parent);
    const { stdout } = await promisify(execFile)('lsattr', ['-d', dir]).catch(() => ({ stdout: '' }));
    // lsattr's flags column: `T` is the top-of-hierarchy flag (chattr +T).
    expect(spread).toBe(/^\S*T\S*\s/.test(stdout));
    await removeDiscarded();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await rm(parent, { recursive: true });
  });
});
