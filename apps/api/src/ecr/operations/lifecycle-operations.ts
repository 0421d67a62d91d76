import {
  InvalidParameterException,
  LifecyclePolicyNotFoundException,
  LifecyclePolicyPreviewInProgressException,
  LifecyclePolicyPreviewNotFoundException,
  parseLifecyclePolicy,
  type EcrInputs,
} from '@longshore/domain';
import { lifecycleExpiries, type ImageStore, type LifecycleStore, type PreviewedExpiry } from '@longshore/metadata';
import type { Logger } from '@longshore/telemetry';
import type { RepositoryService } from '../../repositories/repository-service.js';

export interface LifecycleOperationDeps {
  repositories: RepositoryService;
  imageStore: ImageStore;
  lifecycle: LifecycleStore;
  /** The service clock (epoch ms). */
  now: () => number;
  log: Logger;
}

type LifecycleOperation =
  | 'PutLifecyclePolicy'
  | 'GetLifecyclePolicy'
  | 'DeleteLifecyclePolicy'
  | 'StartLifecyclePolicyPreview'
  | 'GetLifecyclePolicyPreview';

const DEFAULT_PREVIEW_PAGE = 100;
/** AWS JSON 1.1 timestamps are epoch seconds. */
const seconds = (ms: number) => ms / 1000;

/** ECR's lifecycle policy operations: the policy, and a preview of what it would expire. */
export function createLifecycleOperations(deps: LifecycleOperationDeps): {
  [O in LifecycleOperation]: (input: EcrInputs[O]) => Promise<object>;
} {
  const { repositories, lifecycle } = deps;
  const scope = async (registryId: string | undefined, repositoryName: string) => {
    const id = repositories.registryId(registryId);
    await repositories.require(repositoryName);
    return { registryId: id, repositoryName };
  };
  const notFound = (s: { registryId: string; repositoryName: string }) =>
    new LifecyclePolicyNotFoundException(
      `Lifecycle policy does not exist for the repository with name '${s.repositoryName}' in the registry with id '${s.registryId}'`,
    );

  const runPreview = async (repositoryName: string, text: string) => {
    try {
      const expiries = await lifecycleExpiries(
        { images: deps.imageStore },
        repositoryName,
        parseLifecyclePolicy(text),
        deps.now(),
      );
      const results: PreviewedExpiry[] = expiries.map((e) => ({
        imageDigest: e.image.digest,
        imageTags: e.image.tags,
        imagePushedAt: e.image.pushedAt,
        appliedRulePriority: e.appliedRulePriority,
      }));
      await lifecycle.finishPreview(repositoryName, { status: 'COMPLETE', lifecyclePolicyText: text, results });
    } catch (err) {
      deps.log.error({ err, repositoryName }, 'lifecycle policy preview failed');
      await lifecycle
        .finishPreview(repositoryName, { status: 'FAILED', lifecyclePolicyText: text, results: [] })
        .catch(() => undefined);
    }
  };

  return {
    async PutLifecyclePolicy(input) {
      const s = await scope(input.registryId, input.repositoryName);
      parseLifecyclePolicy(input.lifecyclePolicyText);
      await lifecycle.put(input.repositoryName, input.lifecyclePolicyText);
      return { ...s, lifecyclePolicyText: input.lifecyclePolicyText };
    },

    async GetLifecyclePolicy(input) {
      const s = await scope(input.registryId, input.repositoryName);
      const found = await lifecycle.get(input.repositoryName);
      if (!found) throw notFound(s);
      return {
        ...s,
        lifecyclePolicyText: found.text,
        ...(found.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: seconds(found.lastEvaluatedAt) } : {}),
      };
    },

    async DeleteLifecyclePolicy(input) {
      const s = await scope(input.registryId, input.repositoryName);
      const found = await lifecycle.delete(input.repositoryName);
      if (!found) throw notFound(s);
      return {
        ...s,
        lifecyclePolicyText: found.text,
        ...(found.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: seconds(found.lastEvaluatedAt) } : {}),
      };
    },

    async StartLifecyclePolicyPreview(input) {
      const s = await scope(input.registryId, input.repositoryName);
      const text = input.lifecyclePolicyText ?? (await lifecycle.get(input.repositoryName))?.text;
      if (text === undefined) throw notFound(s);
      parseLifecyclePolicy(text);
      if (!(await lifecycle.beginPreview(input.repositoryName, text))) {
        throw new LifecyclePolicyPreviewInProgressException(
          `The previous lifecycle policy preview request has not completed for the repository with name '${s.repositoryName}'`,
        );
      }
      // The preview runs after the answer, as ECR's does: GetLifecyclePolicyPreview shows its status.
      void runPreview(input.repositoryName, text);
      return { ...s, lifecyclePolicyText: text, status: 'IN_PROGRESS' };
    },

    async GetLifecyclePolicyPreview(input) {
      const s = await scope(input.registryId, input.repositoryName);
      if (input.imageIds && (input.nextToken !== undefined || input.maxResults !== undefined)) {
        throw new InvalidParameterException(
          "Invalid parameter at 'imageIds': cannot be combined with maxResults or nextToken",
        );
      }
      const preview = await lifecycle.getPreview(input.repositoryName);
      if (!preview) {
        throw new LifecyclePolicyPreviewNotFoundException(
          `There is no lifecycle policy preview for the repository with name '${s.repositoryName}'`,
        );
      }
      const tagStatus = input.filter?.tagStatus;
      let shown = preview.results.filter(
        (r) =>
          tagStatus === undefined ||
          tagStatus === 'ANY' ||
          (tagStatus === 'TAGGED' ? r.imageTags.length > 0 : r.imageTags.length === 0),
      );
      if (input.imageIds) {
        shown = shown.filter((r) =>
          input.imageIds!.some(
            (id) =>
              (id.imageDigest === undefined || id.imageDigest === r.imageDigest) &&
              (id.imageTag === undefined || r.imageTags.includes(id.imageTag)),
          ),
        );
      }
      const start = input.nextToken ? decodeOffset(input.nextToken) : 0;
      const size = input.maxResults ?? DEFAULT_PREVIEW_PAGE;
      const page = input.imageIds ? shown : shown.slice(start, start + size);
      const more = !input.imageIds && start + size < shown.length;
      return {
        ...s,
        lifecyclePolicyText: preview.lifecyclePolicyText,
        status: preview.status,
        previewResults: page.map((r) => ({
          imageDigest: r.imageDigest,
          ...(r.imageTags.length > 0 ? { imageTags: r.imageTags } : {}),
          imagePushedAt: seconds(r.imagePushedAt),
          action: { type: 'EXPIRE' },
          appliedRulePriority: r.appliedRulePriority,
        })),
        summary: { expiringImageTotalCount: preview.results.length },
        ...(more ? { nextToken: Buffer.from(String(start + size)).toString('base64url') } : {}),
      };
    },
  };
}

function decodeOffset(token: string): number {
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset <= 0) throw new InvalidParameterException("Invalid parameter at 'nextToken'");
  return offset;
}
