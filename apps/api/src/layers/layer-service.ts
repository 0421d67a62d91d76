import { LayersNotFoundException, isRefusal } from '@longshore/domain';
import { parseOciDigest, parseSha256Digest } from '@longshore/digest';
import { linkRetainedLayer, type BlobIndex, type LayerStore } from '@longshore/metadata';

export type LayerCheck =
  | { kind: 'available'; layerDigest: string; layerSize: number }
  | {
      kind: 'failure';
      layerDigest: string;
      failureCode: 'InvalidLayerDigest' | 'MissingLayerDigest';
      failureReason: string;
    };

/** What a repository holds, answered from its layer links. */
export class LayerService {
  constructor(private readonly deps: { layers: LayerStore; blobs: Pick<BlobIndex, 'locate' | 'retain'> }) {}

  /** One answer per requested digest: a malformed or unknown digest is a per-item failure. */
  async check(repositoryName: string, digests: string[]): Promise<LayerCheck[]> {
    const wellFormed = digests.filter((d) => parseSha256Digest(d));
    const links = await this.deps.layers.getMany(repositoryName, wellFormed);
    const found = new Map(wellFormed.map((d, i) => [d, links[i]]));
    return digests.map((layerDigest): LayerCheck => {
      if (!parseSha256Digest(layerDigest)) {
        return {
          kind: 'failure',
          layerDigest,
          failureCode: 'InvalidLayerDigest',
          failureReason: 'Invalid layer digest',
        };
      }
      const link = found.get(layerDigest);
      if (!link) {
        return {
          kind: 'failure',
          layerDigest,
          failureCode: 'MissingLayerDigest',
          failureReason: 'Requested layer not found',
        };
      }
      return { kind: 'available', layerDigest, layerSize: link.size };
    });
  }

  /**
   * The size of a layer the repository holds, or LayersNotFoundException. Only sha256 digests
   * (the ECR door's pattern) unless `anyAlgorithm` (/v2, which also takes sha512).
   */
  async require(
    repositoryName: string,
    registryId: string,
    layerDigest: string,
    anyAlgorithm = false,
  ): Promise<{ size: number; hex: string }> {
    const parsed = anyAlgorithm ? parseOciDigest(layerDigest) : parseSha256Digest(layerDigest);
    const link = parsed ? await this.deps.layers.get(repositoryName, layerDigest) : undefined;
    if (!parsed || !link) {
      throw new LayersNotFoundException(
        `The layer '${layerDigest}' does not exist in the repository with name '${repositoryName}' in registry with id '${registryId}'`,
      );
    }
    return { size: link.size, hex: parsed.hex };
  }

  /** Whether the repository holds the layer. */
  async has(repositoryName: string, layerDigest: string): Promise<boolean> {
    return (await this.deps.layers.get(repositoryName, layerDigest)) !== undefined;
  }

  /**
   * Links a layer `from` one repository into another without moving a byte (the blob is stored
   * once, by digest). False when `from` does not hold it; true when `to` now holds it.
   */
  async mount(from: string, to: string, registryId: string, layerDigest: string): Promise<boolean> {
    const source = await this.deps.layers.get(from, layerDigest);
    if (!source) return false;
    const link = { size: source.size, uploadId: `mount:${from}`, linkedAt: Date.now() };
    try {
      // False when the blob is not indexed or a garbage collection is deleting it: the client uploads it.
      return await linkRetainedLayer(this.deps, to, registryId, layerDigest, link);
    } catch (err) {
      if (!isRefusal(err, 'LAYER_EXISTS')) throw err;
      return true;
    }
  }

  /** Removes a layer from a repository (its blob stays), or LayersNotFoundException. */
  async unlink(repositoryName: string, registryId: string, layerDigest: string): Promise<void> {
    if (!(await this.deps.layers.unlink(repositoryName, layerDigest))) {
      throw new LayersNotFoundException(
        `The layer '${layerDigest}' does not exist in the repository with name '${repositoryName}' in registry with id '${registryId}'`,
      );
    }
  }

  /**
   * A layer the repository holds and where its blob is stored, or LayersNotFoundException (also
   * for a link whose blob is not in the index: it cannot be served). Used by /v2: sha256 or sha512.
   */
  async requireBlob(
    repositoryName: string,
    registryId: string,
    layerDigest: string,
  ): Promise<{ size: number; location: string }> {
    const layer = await this.require(repositoryName, registryId, layerDigest, true);
    const location = await this.deps.blobs.locate(layerDigest);
    if (!location) {
      throw new LayersNotFoundException(`The blob of layer '${layerDigest}' is not in storage`);
    }
    return { size: layer.size, location };
  }
}
