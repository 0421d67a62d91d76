export {
  mediaTypes,
  isManifestMediaType,
  isIndexMediaType,
  bareMediaType,
  type ManifestMediaType,
} from './media-types.js';
export type { Descriptor } from './descriptor.js';
export {
  TAG_PATTERN,
  isValidTag,
  isValidDigest,
  isValidOciDigest,
  digestAlgorithm,
  requireOciDigest,
  type DigestAlgorithm,
  requireTag,
  requireDigest,
  parseImageReference,
  type ImageReference,
} from './image-reference.js';
export { isTagImmutable, type TagMutabilitySetting } from './tag-mutability.js';
export {
  MAX_MANIFEST_BYTES,
  parseManifest,
  manifestDigest,
  referencedBlobs,
  requiredBlobs,
  isForeignLayer,
  referrerArtifactType,
  type ParsedManifest,
} from './parse-manifest.js';
export { imageSizeInBytes } from './image-size.js';
