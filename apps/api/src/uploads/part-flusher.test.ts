import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPartFlusher } from './part-flusher.js';

describe('createPartFlusher', () => {
  let dir: string;
  let marked: string[];
  const markPartChecked = async (uploadId: string, partNumber: number, ok: boolean) => {
    marked.push(`${uploadId}:${partNumber}:${ok}`);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'part-flusher-'));
    marked = [];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function partFile(name: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, Buffer.alloc(4096, 7));
    return path;
  }

  it('flushes each part file and then records it as checked, in the order queued', async () => {
    const flusher = createPartFlusher({ markPartChecked });
    flusher.flush({ uploadId: 'u', partNumber: 1, path: await partFile('1') });
    flusher.flush({ uploadId: 'u', partNumber: 2, path: await partFile('2') });
    await flusher.idle();
    expect(marked).toEqual(['u:1:true', 'u:2:true']);
  });

  it('records nothing for a part file that is gone (published or aborted meanwhile)', async () => {
    const flusher = createPartFlusher({ markPartChecked });
    flusher.flush({ uploadId: 'u', partNumber: 1, path: join(dir, 'missing') });
    flusher.flush({ uploadId: 'u', partNumber: 2, path: await partFile('2') });
    await flusher.idle();
    expect(marked).toEqual(['u:2:true']);
  });

  it('leaves the parts beyond its queue to completion instead of holding them', async () => {
    const flusher = createPartFlusher({ markPartChecked, maxWaiting: 1 });
    const paths = [await partFile('1'), await partFile('2'), await partFile('3')];
    // The first is taken at once; the second waits; the third finds the queue full.
    for (const [index, path] of paths.entries()) flusher.flush({ uploadId: 'u', partNumber: index + 1, path });
    await flusher.idle();
    expect(marked).toEqual(['u:1:true', 'u:2:true']);
  });

  it('keeps flushing after a record fails', async () => {
    let calls = 0;
    const flusher = createPartFlusher({
      markPartChecked: async (uploadId, partNumber, ok) => {
        calls += 1;
        if (calls === 1) throw new Error('redis down');
        await markPartChecked(uploadId, partNumber, ok);
      },
    });
    flusher.flush({ uploadId: 'u', partNumber: 1, path: await partFile('1') });
    flusher.flush({ uploadId: 'u', partNumber: 2, path: await partFile('2') });
    await flusher.idle();
    expect(marked).toEqual(['u:2:true']);
  });
});
