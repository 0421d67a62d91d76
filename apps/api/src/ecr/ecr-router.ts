import express, { Router, type Request, type Response } from 'express';
import {
  SerializationException,
  UnknownOperationException,
  InvalidParameterException,
  servedOperations,
  validateEcrInput,
  type EcrOperation,
  type UploadLayerPartInput,
} from '@longshore/domain';
import type { AuthGate } from '../auth/auth-gate.js';
import { ecrPermissionFor } from '../auth/ecr-permission.js';
import { hashRawBody, rawBodySha256, setRawBodySha256, signedRequestOf, sourceOf } from '../auth/signed-request.js';
import { handleRequest, type RequestScope } from '../errors/handle-request.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import type { RepositoryService } from '../repositories/repository-service.js';
import type { OperationTable } from './operations/index.js';
import { sendEcrResult } from './ecr-response.js';
import type { OperationContext } from './operation-context.js';
import { canStreamPartBody, readStreamedPartBody } from './streamed-part-body.js';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const served = new Set<string>(servedOperations);

export interface EcrRouterDeps {
  operations: OperationTable;
  metrics: ApiMetrics;
  maxRequestBytes: number;
  baseUrl(req: Request): string;
  auth: AuthGate;
  /** Checks the registry id a request names, once for every operation, as the request is decoded. */
  repositories: Pick<RepositoryService, 'registryId'>;
}

/** The AWS JSON 1.1 endpoint: `POST /` with `X-Amz-Target` naming the operation. */
export function createEcrRouter(deps: EcrRouterDeps): Router {
  const router = Router();
  // The raw bytes are hashed as they are parsed: SigV4 covers the body as it arrived.
  const parseJson = express.json({ type: () => true, limit: deps.maxRequestBytes, strict: false, verify: hashRawBody });

  router.post('/', (req, res) => {
    const operation = operationOf(req);
    res.locals.operation = operation ?? 'unknown';
    const handled = (parseError?: unknown, partBlob?: Buffer) => {
      const controller = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const scope: RequestScope = { wire: 'ecr', operation: operation ?? 'unknown', signal: controller.signal };
      void handleRequest(
        req,
        res,
        scope,
        () => handle(req, res, operation, controller.signal, parseError, partBlob),
        deps.metrics,
      );
    };
    if (operation === 'UploadLayerPart' && canStreamPartBody(req)) {
      // The part's base64 is decoded as it arrives, never buffered whole (streamed-part-body.ts).
      readStreamedPartBody(req, deps.maxRequestBytes).then(
        (read) => {
          req.body = read.body;
          setRawBodySha256(req, read.sha256);
          handled(undefined, read.blob);
        },
        (err: unknown) => {
          const sha256 = (err as { sha256?: string }).sha256;
          if (sha256) setRawBodySha256(req, sha256);
          handled(err);
        },
      );
      return;
    }
    parseJson(req, res, (parseError?: unknown) => handled(parseError));
  });

  async function handle(
    req: Request,
    res: Response,
    operation: EcrOperation | undefined,
    signal: AbortSignal,
    parseError: unknown,
    partBlob?: Buffer,
  ) {
    const log = req.log;
    if (parseError && (parseError as { type?: string }).type === 'entity.too.large') throw bodyError(parseError);
    const principal = await deps.auth.sigv4(
      { door: 'ecr', source: sourceOf(req), log },
      signedRequestOf(req, rawBodySha256(req)),
    );
    if (!operation) {
      const target = req.get('x-amz-target');
      throw new UnknownOperationException(
        target ? `Unknown operation '${target}'` : 'Missing X-Amz-Target header naming the operation',
      );
    }
    if (parseError) throw bodyError(parseError);
    // An empty body parses as nothing (`{}` to AWS); a literal `null` is not an object (SerializationException).
    const input = validateEcrInput(operation, req.body === undefined ? {} : req.body);
    // The streamed part's stand-in passed validation as the part itself would have.
    if (partBlob) (input as UploadLayerPartInput).layerPartBlob = partBlob;
    const permission = ecrPermissionFor(operation, input);
    if (!permission.filtered || permission.repositories.length > 0) {
      deps.auth.permissions.require(principal, permission.action, permission.repositories);
    }
    const registryId = deps.repositories.registryId((input as { registryId?: string }).registryId);
    const ctx: OperationContext = {
      requestId: String(req.id),
      registryId,
      log,
      // Resolved (and refused for a Host the service does not answer for) only by operations that need it.
      get baseUrl() {
        return deps.baseUrl(req);
      },
      signal,
      principal,
      allows: (action, repositoryName) => deps.auth.permissions.can(principal, action, repositoryName),
    };
    const run = deps.operations[operation] as (input: unknown, ctx: OperationContext) => Promise<object>;
    sendEcrResult(res, await run(input, ctx));
  }

  return router;
}

function operationOf(req: Request): EcrOperation | undefined {
  const target = req.get('x-amz-target');
  if (!target?.startsWith(TARGET_PREFIX)) return undefined;
  const name = target.slice(TARGET_PREFIX.length);
  return served.has(name) ? (name as EcrOperation) : undefined;
}

function bodyError(err: unknown) {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    return new InvalidParameterException('The request body is larger than this service accepts');
  }
  return new SerializationException(`The request body is not valid JSON: ${(err as Error).message}`);
}
