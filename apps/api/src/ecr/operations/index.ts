import { type LoginTokens, type PageTokens, principalId } from '@longshore/auth';
import { InvalidParameterException, type EcrInputs, type EcrOperation } from '@longshore/domain';
import type { LayerService } from '../../layers/layer-service.js';
import type { DownloadUrlSigner } from '../../downloads/download-url-signer.js';
import type { ImageService } from '../../images/image-service.js';
import type { RepositoryService } from '../../repositories/repository-service.js';
import { ECR_PART_SIZE, type UploadService } from '../../uploads/upload-service.js';
import type { OperationContext } from '../operation-context.js';
import { IMPORT_UPSTREAM_ACTION } from '../../auth/v2-permission.js';
import type { PullThroughCache } from '../../pull-through/pull-through-cache.js';
import type { PullThroughRules } from '../../pull-through/pull-through-rules.js';
import { createImageOperations } from './image-operations.js';
import { createPullThroughOperations } from './pull-through-operations.js';
import { createLifecycleOperations, type LifecycleOperationDeps } from './lifecycle-operations.js';
import { repositoryJson } from './repository-json.js';

export interface OperationDeps {
  repositories: RepositoryService;
  uploads: UploadService;
  layers: LayerService;
  images: ImageService;
  downloads: DownloadUrlSigner;
  tokens: LoginTokens;
  /** Seals DescribeRepositories' nextToken (opaque, bound to the caller). */
  pageTokens: PageTokens;
  /** AUTH_TOKEN_TTL_SECONDS: how long the login token of AUTH=off lasts (nothing checks it). */
  tokenTtlSeconds: number;
  region: string;
  pullThroughRules: PullThroughRules;
  /** Lifecycle policies and their previews. */
  lifecycle: LifecycleOperationDeps['lifecycle'];
  /** Brings in what BatchGetImage names in a repository under a pull-through cache rule. */
  pullThrough?: Pick<PullThroughCache, 'prefetch'>;
}

export type OperationTable = {
  [O in EcrOperation]: (input: EcrInputs[O], ctx: OperationContext) => Promise<object>;
};

const DEFAULT_PAGE = 100;

/** The ECR operations Longshore serves: each turns a validated input into its ECR output. */
export function createOperations(deps: OperationDeps): OperationTable {
  const { repositories, uploads, layers } = deps;
  const view = (ctx: OperationContext) => ({ region: deps.region, registryHost: new URL(ctx.baseUrl).host });

  const imageOperations = createImageOperations({ repositories, images: deps.images });

  return {
    ...imageOperations,
    async BatchGetImage(input, ctx) {
      // A repository under a pull-through cache rule: the images named are brought in first.
      await deps.pullThrough?.prefetch(
        input.repositoryName,
        input.imageIds.map((id) => id.imageDigest ?? id.imageTag ?? ''),
        { importAllowed: ctx.allows(IMPORT_UPSTREAM_ACTION, input.repositoryName) },
      );
      return imageOperations.BatchGetImage(input);
    },
    ...createPullThroughOperations({ rules: deps.pullThroughRules }),
    ...createLifecycleOperations({ lifecycle: deps.lifecycle }),

    async CreateRepository(input, ctx) {
      const shown = view(ctx); // before the side effect: a refused Host must change nothing
      const record = await repositories.create(input);
      return { repository: repositoryJson(record, shown) };
    },

    async DescribeRepositories(input, ctx) {
      if (input.repositoryNames && (input.nextToken || input.maxResults)) {
        throw new InvalidParameterException('repositoryNames cannot be combined with nextToken or maxResults');
      }
      const caller = principalId(ctx.principal);
      const after = input.nextToken ? deps.pageTokens.open(input.nextToken, caller) : undefined;
      const shown = view(ctx);
      // Without names, the listing holds only the repositories the caller may describe, filtered before paging.
      const page = await repositories.describe(input.repositoryNames, input.maxResults ?? DEFAULT_PAGE, after, (name) =>
        ctx.allows('ecr:DescribeRepositories', name),
      );
      return {
        repositories: page.repositories.map((r) => repositoryJson(r, shown)),
        ...(page.nextAfter ? { nextToken: deps.pageTokens.seal(page.nextAfter, caller) } : {}),
      };
    },

    async TagResource(input) {
      await repositories.tagResource(input.resourceArn, input.tags);
      return {};
    },

    async UntagResource(input) {
      await repositories.untagResource(input.resourceArn, input.tagKeys);
      return {};
    },

    async ListTagsForResource(input) {
      const record = await repositories.requireResource(input.resourceArn);
      return { tags: record.tags ?? [] };
    },

    async DeleteRepository(input, ctx) {
      const shown = view(ctx); // before the side effect: a refused Host must change nothing
      const record = await repositories.delete(input.repositoryName, input.force ?? false);
      return { repository: repositoryJson(record, shown) };
    },

    async InitiateLayerUpload(input, ctx) {
      const registryId = ctx.registryId;
      const record = await uploads.initiate(input.repositoryName, registryId);
      return { uploadId: record.uploadId, partSize: ECR_PART_SIZE };
    },

    async UploadLayerPart(input, ctx) {
      const registryId = ctx.registryId;
      const lastByteReceived = await uploads.uploadPart({
        uploadId: input.uploadId.toLowerCase(),
        repositoryName: input.repositoryName,
        registryId,
        partFirstByte: input.partFirstByte,
        partLastByte: input.partLastByte,
        data: input.layerPartBlob,
      });
      return { registryId, repositoryName: input.repositoryName, uploadId: input.uploadId, lastByteReceived };
    },

    async CompleteLayerUpload(input, ctx) {
      const registryId = ctx.registryId;
      const { layerDigest } = await uploads.complete(
        {
          uploadId: input.uploadId.toLowerCase(),
          repositoryName: input.repositoryName,
          registryId,
          layerDigests: input.layerDigests,
        },
        ctx.signal,
      );
      return { registryId, repositoryName: input.repositoryName, uploadId: input.uploadId, layerDigest };
    },

    async BatchCheckLayerAvailability(input) {
      await repositories.require(input.repositoryName);
      const checks = await layers.check(input.repositoryName, input.layerDigests);
      return {
        layers: checks
          .filter((c) => c.kind === 'available')
          .map((c) => ({ layerDigest: c.layerDigest, layerAvailability: 'AVAILABLE', layerSize: c.layerSize })),
        failures: checks
          .filter((c) => c.kind === 'failure')
          .map((c) => ({ layerDigest: c.layerDigest, failureCode: c.failureCode, failureReason: c.failureReason })),
      };
    },

    async GetDownloadUrlForLayer(input, ctx) {
      const registryId = ctx.registryId;
      const baseUrl = ctx.baseUrl;
      await repositories.require(input.repositoryName);
      await layers.require(input.repositoryName, registryId, input.layerDigest);
      const downloadUrl = deps.downloads.sign(baseUrl, {
        repositoryName: input.repositoryName,
        layerDigest: input.layerDigest,
      });
      return { downloadUrl, layerDigest: input.layerDigest };
    },

    async GetAuthorizationToken(_input, ctx) {
      const issued =
        ctx.principal.kind === 'key'
          ? await deps.tokens.issue(ctx.principal.key)
          : {
              // AUTH=off: nothing checks the token, but clients still need one to log in with.
              authorizationToken: Buffer.from('AWS:authentication-is-off').toString('base64'),
              expiresAt: new Date(Date.now() + deps.tokenTtlSeconds * 1000),
            };
      return {
        authorizationData: [
          {
            authorizationToken: issued.authorizationToken,
            // AWS JSON 1.1 timestamps are epoch seconds.
            expiresAt: issued.expiresAt.getTime() / 1000,
            proxyEndpoint: ctx.baseUrl,
          },
        ],
      };
    },
  };
}
