import {
  LifecyclePolicyNotFoundException,
  LifecyclePolicyPreviewInProgressException,
  LifecyclePolicyPreviewNotFoundException,
  parseLifecyclePolicy,
} from '@longshore/domain';
import {
  lifecycleExpiries,
  type ImageStore,
  type LifecyclePreview,
  type LifecycleStore,
  type PreviewedExpiry,
  type StoredLifecyclePolicy,
} from '@longshore/metadata';
import type { Logger } from '@longshore/telemetry';
import type { RepositoryService } from '../repositories/repository-service.js';

/** The lifecycle vocabulary the ECR door speaks, from the service (doors do not import the stores). */
export type { LifecyclePreview, PreviewedExpiry, StoredLifecyclePolicy };

export interface LifecycleServiceDeps {
  repositories: Pick<RepositoryService, 'require'>;
  images: ImageStore;
  lifecycle: LifecycleStore;
  /** The service clock (epoch ms). */
  now: () => number;
  log: Logger;
}

/**
 * A repository's lifecycle policy and the preview of what it would expire. Every call first
 * requires the repository (RepositoryNotFoundException); a policy text is parsed before it is
 * stored or previewed (InvalidParameterException).
 */
export class LifecycleService {
  constructor(private readonly deps: LifecycleServiceDeps) {}

  async put(repositoryName: string, text: string): Promise<void> {
    await this.deps.repositories.require(repositoryName);
    parseLifecyclePolicy(text);
    await this.deps.lifecycle.put(repositoryName, text);
  }

  /** The stored policy, or LifecyclePolicyNotFoundException. */
  async get(registryId: string, repositoryName: string): Promise<StoredLifecyclePolicy> {
    await this.deps.repositories.require(repositoryName);
    const found = await this.deps.lifecycle.get(repositoryName);
    if (!found) throw policyNotFound(registryId, repositoryName);
    return found;
  }

  /** Removes the policy and answers what it was, or LifecyclePolicyNotFoundException. */
  async delete(registryId: string, repositoryName: string): Promise<StoredLifecyclePolicy> {
    await this.deps.repositories.require(repositoryName);
    const found = await this.deps.lifecycle.delete(repositoryName);
    if (!found) throw policyNotFound(registryId, repositoryName);
    return found;
  }

  /**
   * Starts a preview of `text` (default: the stored policy) and answers the text previewed. The
   * preview runs after the answer, as ECR's does: `preview` shows its status. A second preview
   * while one runs is LifecyclePolicyPreviewInProgressException.
   */
  async startPreview(registryId: string, repositoryName: string, text?: string): Promise<string> {
    await this.deps.repositories.require(repositoryName);
    const previewed = text ?? (await this.deps.lifecycle.get(repositoryName))?.text;
    if (previewed === undefined) throw policyNotFound(registryId, repositoryName);
    parseLifecyclePolicy(previewed);
    if (!(await this.deps.lifecycle.beginPreview(repositoryName, previewed))) {
      throw new LifecyclePolicyPreviewInProgressException(
        `The previous lifecycle policy preview request has not completed for the repository with name '${repositoryName}'`,
      );
    }
    void this.runPreview(repositoryName, previewed);
    return previewed;
  }

  /** The last preview, or LifecyclePolicyPreviewNotFoundException. */
  async preview(repositoryName: string): Promise<LifecyclePreview> {
    await this.deps.repositories.require(repositoryName);
    const preview = await this.deps.lifecycle.getPreview(repositoryName);
    if (!preview) {
      throw new LifecyclePolicyPreviewNotFoundException(
        `There is no lifecycle policy preview for the repository with name '${repositoryName}'`,
      );
    }
    return preview;
  }

  private async runPreview(repositoryName: string, text: string): Promise<void> {
    const { lifecycle } = this.deps;
    try {
      const expiries = await lifecycleExpiries(
        { images: this.deps.images },
        repositoryName,
        parseLifecyclePolicy(text),
        this.deps.now(),
      );
      const results: PreviewedExpiry[] = expiries.map((e) => ({
        imageDigest: e.image.digest,
        imageTags: e.image.tags,
        imagePushedAt: e.image.pushedAt,
        appliedRulePriority: e.appliedRulePriority,
      }));
      await lifecycle.finishPreview(repositoryName, { status: 'COMPLETE', lifecyclePolicyText: text, results });
    } catch (err) {
      this.deps.log.error({ err, repositoryName }, 'lifecycle policy preview failed');
      await lifecycle
        .finishPreview(repositoryName, { status: 'FAILED', lifecyclePolicyText: text, results: [] })
        .catch(() => undefined);
    }
  }
}

function policyNotFound(registryId: string, repositoryName: string): LifecyclePolicyNotFoundException {
  return new LifecyclePolicyNotFoundException(
    `Lifecycle policy does not exist for the repository with name '${repositoryName}' in the registry with id '${registryId}'`,
  );
}
