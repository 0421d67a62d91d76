import { describe, expect, it } from 'vitest';
import { acceptsManifest } from './accept-header.js';

const oci = 'application/vnd.oci.image.manifest.v1+json';
const ociIndex = 'application/vnd.oci.image.index.v1+json';
const docker = 'application/vnd.docker.distribution.manifest.v2+json';
const dockerList = 'application/vnd.docker.distribution.manifest.list.v2+json';

describe('acceptsManifest', () => {
  it('serves any manifest without an Accept header, to wildcards and to other types', () => {
    expect(acceptsManifest(undefined, oci)).toBe(true);
    expect(acceptsManifest('*/*', ociIndex)).toBe(true);
    expect(acceptsManifest('application/json', docker)).toBe(true);
    expect(acceptsManifest(`${docker}, */*;q=0.1`, oci)).toBe(true);
  });

  it('serves a listed media type, parameters and case aside', () => {
    expect(acceptsManifest(`${docker}, ${oci};q=0.9`, oci)).toBe(true);
    expect(acceptsManifest(docker.toUpperCase(), docker)).toBe(true);
  });

  it('refuses when only other manifest media types are listed', () => {
    expect(acceptsManifest(`${docker}, ${dockerList}`, ociIndex)).toBe(false);
    expect(acceptsManifest(oci, docker)).toBe(false);
  });
});
