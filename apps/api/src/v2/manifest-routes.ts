import {
  ImageNotFoundException,
  InvalidImageDigestError,
  InvalidImageTagError,
  parseImageReference,
  type ImageReference,
} from '@longshore/domain';
import type { ImageService } from '../images/image-service.js';
import type { ManifestContent, ManifestHead } from '../images/image-service-types.js';
import type { PullAccess } from '../pull-through/pull-through-cache.js';
import { acceptsManifest } from './accept-header.js';
import { manifestLocation } from './blob-locations.js';
import { readManifestBody } from './read-manifest-body.js';
import type { V2Exchange, V2RouteFamily } from './v2-route.js';

/** Reads of manifests; `access` tells a pull-through cache whether the caller may import from its upstream. */
export interface ManifestReads {
  getManifest(repositoryName: string, reference: string, access?: PullAccess): Promise<ManifestContent>;
  headManifest(repositoryName: string, reference: string, access?: PullAccess): Promise<ManifestHead>;
}

export interface ManifestRouteDeps {
  images: Pick<ImageService, 'putManifest' | 'deleteManifest' | 'deleteTag'> & ManifestReads;
}

/** Set by the /v2 authorizer: false when the caller lacks ecr:BatchImportUpstreamImage on the repository. */
export function pullAccess(x: V2Exchange): PullAccess {
  return { importAllowed: x.res.locals.importAllowed !== false };
}

/**
 * `/v2/<name>/manifests/<tag or digest>`: OCI image manifests and indexes, Docker schema 2
 * manifests and manifest lists, stored by the image service both doors share. GET and HEAD
 * answer the exact bytes pushed; PUT answers `OCI-Subject` for a manifest with a subject;
 * DELETE by digest removes the manifest, by tag only the tag.
 */
export function manifestRoutes(deps: ManifestRouteDeps): V2RouteFamily {
  const notAccepted = (x: V2Exchange, mediaType: string) =>
    new ImageNotFoundException(
      `The manifest '${x.target.reference}' is a ${mediaType}, which is not among the media types the request accepts`,
    );

  /**
   * The reference of a pull or delete: one that is neither a valid tag nor a valid digest names
   * no manifest (404 MANIFEST_UNKNOWN, as the spec's pull tests expect); a push refuses it (400).
   */
  const existingReference = (x: V2Exchange): ImageReference => {
    try {
      return parseImageReference(x.target.reference);
    } catch (err) {
      if (err instanceof InvalidImageTagError || err instanceof InvalidImageDigestError) {
        throw new ImageNotFoundException(`No manifest is named '${x.target.reference.slice(0, 200)}': ${err.message}`);
      }
      throw err;
    }
  };

  const headers = (x: V2Exchange, manifest: { digest: string; mediaType: string; size: number }) => {
    x.res.status(200);
    // setHeader, not res.set: the media type goes out exactly as stored, without a charset.
    x.res.setHeader('Content-Type', manifest.mediaType);
    x.res.setHeader('Docker-Content-Digest', manifest.digest);
    x.res.setHeader('Content-Length', String(manifest.size));
    x.res.setHeader('ETag', `"${manifest.digest}"`);
  };

  /** GET and HEAD: the manifest `read` finds, refused unless the request accepts its media type, its headers set. */
  const served = async <M extends ManifestHead>(
    x: V2Exchange,
    read: (repositoryName: string, reference: string, access: PullAccess) => Promise<M>,
  ): Promise<M> => {
    existingReference(x);
    const manifest = await read(x.target.name, x.target.reference, pullAccess(x));
    if (!acceptsManifest(x.req.get('accept'), manifest.mediaType)) throw notAccepted(x, manifest.mediaType);
    headers(x, manifest);
    return manifest;
  };

  return {
    PUT: {
      operation: 'v2.PutManifest',
      async handle(x) {
        const bytes = await readManifestBody(x.req);
        const result = await deps.images.putManifest(
          x.target.name,
          x.target.reference,
          bytes,
          x.req.get('content-type'),
        );
        x.res.status(201).set({
          Location: manifestLocation(x.target.name, result.digest),
          'Docker-Content-Digest': result.digest,
          'Content-Length': '0',
          ...(result.subject ? { 'OCI-Subject': result.subject } : {}),
        });
        x.res.end();
      },
    },
    GET: {
      operation: 'v2.GetManifest',
      async handle(x) {
        const manifest = await served(x, (name, reference, access) => deps.images.getManifest(name, reference, access));
        x.res.end(manifest.bytes);
      },
    },
    HEAD: {
      operation: 'v2.HeadManifest',
      async handle(x) {
        await served(x, (name, reference, access) => deps.images.headManifest(name, reference, access));
        x.res.end();
      },
    },
    DELETE: {
      operation: 'v2.DeleteManifest',
      async handle(x) {
        const reference = existingReference(x);
        if (reference.kind === 'digest') await deps.images.deleteManifest(x.target.name, reference.digest);
        else await deps.images.deleteTag(x.target.name, reference.tag);
        x.res.status(202).set('Content-Length', '0').end();
      },
    },
  };
}
