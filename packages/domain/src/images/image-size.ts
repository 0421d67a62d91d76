import type { ParsedManifest } from './parse-manifest.js';

/**
 * DescribeImages' imageSizeInBytes, as ECR reports it: an image manifest is the sum of its
 * (compressed) layer sizes; an index is the largest of its child images' sizes, which the
 * caller supplies (children are in the repository before their index).
 */
export function imageSizeInBytes(manifest: ParsedManifest, childSizes: number[] = []): number {
  if (manifest.kind === 'index') return childSizes.length > 0 ? Math.max(...childSizes) : 0;
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}
