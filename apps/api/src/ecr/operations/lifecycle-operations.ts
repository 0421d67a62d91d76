import { InvalidParameterException, type EcrInputs } from '@longshore/domain';
import type { LifecycleService, StoredLifecyclePolicy } from '../../lifecycle/lifecycle-service.js';
import type { OperationContext } from '../operation-context.js';

export interface LifecycleOperationDeps {
  lifecycle: LifecycleService;
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
  [O in LifecycleOperation]: (input: EcrInputs[O], ctx: OperationContext) => Promise<object>;
} {
  const { lifecycle } = deps;
  const scope = (ctx: OperationContext, repositoryName: string) => ({ registryId: ctx.registryId, repositoryName });
  const policyJson = (found: StoredLifecyclePolicy) => ({
    lifecyclePolicyText: found.text,
    ...(found.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: seconds(found.lastEvaluatedAt) } : {}),
  });

  return {
    async PutLifecyclePolicy(input, ctx) {
      await lifecycle.put(input.repositoryName, input.lifecyclePolicyText);
      return { ...scope(ctx, input.repositoryName), lifecyclePolicyText: input.lifecyclePolicyText };
    },

    async GetLifecyclePolicy(input, ctx) {
      const found = await lifecycle.get(ctx.registryId, input.repositoryName);
      return { ...scope(ctx, input.repositoryName), ...policyJson(found) };
    },

    async DeleteLifecyclePolicy(input, ctx) {
      const found = await lifecycle.delete(ctx.registryId, input.repositoryName);
      return { ...scope(ctx, input.repositoryName), ...policyJson(found) };
    },

    async StartLifecyclePolicyPreview(input, ctx) {
      const text = await lifecycle.startPreview(ctx.registryId, input.repositoryName, input.lifecyclePolicyText);
      return { ...scope(ctx, input.repositoryName), lifecyclePolicyText: text, status: 'IN_PROGRESS' };
    },

    async GetLifecyclePolicyPreview(input, ctx) {
      if (input.imageIds && (input.nextToken !== undefined || input.maxResults !== undefined)) {
        throw new InvalidParameterException(
          "Invalid parameter at 'imageIds': cannot be combined with maxResults or nextToken",
        );
      }
      const preview = await lifecycle.preview(input.repositoryName);
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
        ...scope(ctx, input.repositoryName),
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
