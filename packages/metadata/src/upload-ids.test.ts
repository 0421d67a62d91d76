import { parseUploadId } from '@longshore/domain';
import { describe, expect, it } from 'vitest';
import { UploadIds } from './upload-ids.js';

const owner = { repositoryName: 'team/app', registryId: '000000000000' };
const at = Date.UTC(2026, 11, 6, 20, 0, 0, 750);

describe('UploadIds: ids that carry their owner, issue time and policy under an HMAC', () => {
  const ids = new UploadIds('secret-one');

  it('issues UUIDs (version 8) that read back as issued, to the second', () => {
    const id = ids.issue(owner, 1, at);
    expect(parseUploadId(id)).toBe(id);
    expect(id[14]).toBe('8');
    expect(ids.read(id, owner)).toEqual({ createdAt: Date.UTC(2026, 11, 6, 20, 0, 0), policy: 1 });
    expect(ids.read(id.toUpperCase().toLowerCase(), owner)).toBeDefined();
  });

  it('issues a different id every time', () => {
    const issued = new Set(Array.from({ length: 1000 }, () => ids.issue(owner, 0, at)));
    expect(issued.size).toBe(1000);
  });

  it("refuses another repository's or registry's id, a tampered one, another secret's and a random UUID", () => {
    const id = ids.issue(owner, 0, at);
    expect(ids.read(id, { ...owner, repositoryName: 'team/other' })).toBeUndefined();
    expect(ids.read(id, { ...owner, registryId: '111111111111' })).toBeUndefined();
    for (const position of [0, 7, 9, 24, 35]) {
      const flipped = id[position] === '0' ? '1' : '0';
      expect(ids.read(`${id.slice(0, position)}${flipped}${id.slice(position + 1)}`, owner)).toBeUndefined();
    }
    expect(new UploadIds('secret-two').read(id, owner)).toBeUndefined();
    expect(ids.read(crypto.randomUUID(), owner)).toBeUndefined();
    expect(ids.read('not-an-id', owner)).toBeUndefined();
  });
});
