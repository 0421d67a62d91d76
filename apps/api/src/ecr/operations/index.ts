import type { LoginTokens } from '@longshore/auth';
import { InvalidParameterException, type EcrInputs, type EcrOperation } from '@longshore/domain';
import type { LayerService } from '../../layers/layer-service.js';
import type { DownloadUrlSigner } from '../../downloads/download-url-signer.js';
import type { ImageService } from '../../images/image-service.js';
import type { RepositoryService } from '../../repositories/repository-service.js';
import { ECR_PART_SIZE, type UploadService } from '../../uploads/upload-service.js';
import type { OperationContext } from '../operation-context.js';
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
  /** AUTH_TOKEN_TTL_SECONDS: how long the login token of AUTH=off lasts (nothing checks it). */
  tokenTtlSeconds: number;
  region: string;
  pullThroughRules: PullThroughRules;
  /** The image store the lifecycle operations read (the image operations go through ImageService). */
  imageStore: LifecycleOperationDeps['imageStore'];
  /** The lifecycle policy operations' store, clock and log. */
  lifecycle: Omit<LifecycleOperationDeps, 'repositories' | 'imageStore'>;
}

export type OperationTable = {
  [O in EcrOperation]: (input: EcrInputs[O], ctx: OperationContext) => Promise<object>;
};

const DEFAULT_PAGE = 100;

/** The ECR operations Longshore serves: each turns a validated input into its ECR output. */
export function createOperations(deps: OperationDeps): OperationTable {
  const { repositories, uploads, layers } = deps;
  const view = (ctx: OperationContext) => ({ region: deps.region, registryHost: new URL(ctx.baseUrl).host });

  return {
    ...createImageOperations({ repositories, images: deps.images }),
    ...createPullThroughOperations({ repositories, rules: deps.pullThroughRules }),
    ...createLifecycleOperations({ repositories, imageStore: deps.imageStore, ...deps.lifecycle }),

    async CreateRepository(input, ctx) {
      const shown = view(ctx); // before the side effect: a refused Host must change nothing
      const record = await repositories.create(input);
      return { repository: repositoryJson(record, shown) };
    },

    async DescribeRepositories(input, ctx) {
      if (input.repositoryNames && (input.nextToken || input.maxResults)) {
        throw new InvalidParameterException('repositoryNames cannot be combined with nextToken or maxResults');
      }
      const after = input.nextToken ? decodeToken(input.nextToken) : undefined;
      const shown = view(ctx);
      const page = await repositories.describe(input.repositoryNames, input.maxResults ?? DEFAULT_PAGE, after);
      // Without names, the listing shows only the repositories the caller may describe.
      const visible = input.repositoryNames
        ? page.repositories
        : page.repositories.filter((r) => ctx.allows('ecr:DescribeRepositories', r.repositoryName));
      return {
        repositories: visible.map((r) => repositoryJson(r, shown)),
        ...(page.nextAfter ? { nextToken: Buffer.from(page.nextAfter).toString('base64url') } : {}),
      };
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
          ? deps.tokens.issue(ctx.principal.key)
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

function decodeToken(token: string): string {
  const after = Buffer.from(token, 'base64url').toString('utf8');
  if (!after) throw new InvalidParameterException("Invalid parameter at 'nextToken'");
  return after;
}
