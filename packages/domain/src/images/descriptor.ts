/** An OCI content descriptor, as manifests, indexes and the referrers API carry them. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Record<string, unknown>;
  /**
   * Where a foreign (non-distributable) layer can be fetched: http(s) URLs. A layer that
   * carries them need not be in the registry (image-spec "urls").
   */
  urls?: string[];
}
