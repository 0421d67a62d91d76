import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  LimitExceededException,
  RequestValidationError,
  UploadNotFoundException,
  isCallbackAllowed,
  parseUploadId,
  toStatusDocument,
  prepareShapeValidator,
  validateShape,
  type CompleteLayerUploadInput,
} from '@longshore/domain';
import type { Principal } from '@longshore/auth';
import type { RequestAudit } from '../audit/request-audit.js';
import type { AuthGate } from '../auth/auth-gate.js';
import { hashRawBody } from '../auth/signed-request.js';
import { authenticateV1 } from '../auth/v1-credentials.js';
import { handleRequest, type RequestScope } from '../errors/handle-request.js';
import { sendError } from '../errors/send-error.js';
import { drainRequest } from '../http/drain-request.js';
import { noteRepository } from '../http/request-facts.js';
import { sendEnvelope } from '../http/envelope.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import type { UploadService } from '../uploads/upload-service.js';
import { parseContentRange } from './content-range.js';
import { openApiDocument } from './openapi-document.js';

export interface V1RouterDeps {
  uploads: UploadService;
  metrics: ApiMetrics;
  auth: AuthGate;
  callbackAllowlist: readonly string[];
  maxLongPollSeconds: number;
  audit?: RequestAudit;
}

/** The /v1 operations that change something (a part is a step of an upload, not a mutation of its own). */
const MUTATING = new Set(['v1.CompleteUpload']);

/**
 * A refused body of at most this many bytes (a whole part: raw parts are a few MiB) is read to its
 * end before the answer, within DRAIN_TIMEOUT_MS (see drainRequest): closing instead races the
 * client's last writes, and fetch then reports EPIPE rather than the 4xx. Larger or stalled bodies
 * are answered with `Connection: close`.
 */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 2_000;
/** The largest JSON body /v1 reads (1 MiB). */
const JSON_BODY_LIMIT = 1024 * 1024;

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * The JSON status API for CI fleets: complete asynchronously, then poll (or long-poll) one
 * record per upload; a raw binary part upload for clients that need no AWS wire format.
 */
/** The body of `POST …/complete`: CompleteLayerUpload's, the upload id taken from the path. */
const COMPLETE_BODY = { omitMembers: ['uploadId'] } as const;

export function createV1Router(deps: V1RouterDeps): RequestHandler {
  prepareShapeValidator('CompleteLayerUploadRequest', COMPLETE_BODY); // not on the first completion's path
  const router = Router();
  const parseJson = express.json({ limit: JSON_BODY_LIMIT, type: () => true, verify: hashRawBody });

  /** Every /v1 handler runs on the API's one error path (errors/handle-request.ts). */
  const route = (operation: string, handler: Handler) => (req: Request, res: Response) => {
    res.locals.operation = operation;
    const scope: RequestScope = {
      wire: 'v1',
      operation,
      // A small body we stopped reading (a refused part) is read to its end, so the client
      // gets the answer; a large or stalled one is not: the connection ends after the answer.
      beforeAnswer: async () => {
        if (!(await drainRequest(req, DRAIN_MAX_BYTES, DRAIN_TIMEOUT_MS))) res.set('Connection', 'close');
      },
    };
    const { audit } = deps;
    if (audit?.enabled && MUTATING.has(operation)) {
      // The audit trail's one call for this door, for a caller the door has authenticated.
      scope.audit = (outcome) => {
        if (!req.callerKeyId) return;
        const digests = (req.body as { layerDigests?: unknown } | undefined)?.layerDigests;
        audit.record(req, {
          action: operation,
          door: 'v1',
          digest: Array.isArray(digests) && typeof digests[0] === 'string' ? digests[0] : undefined,
          result: outcome,
        });
      };
    }
    void handleRequest(req, res, scope, () => handler(req, res), deps.metrics);
  };

  /**
   * The upload, when the caller may perform `action` in its repository; otherwise answered as an
   * unknown id, so an upload id never tells another team's repository name.
   */
  const uploadFor = async (principal: Principal, action: string, uploadId: string) => {
    const record = await deps.uploads.status(uploadId);
    if (!deps.auth.permissions.can(principal, action, record.repositoryName)) {
      throw new UploadNotFoundException(`The upload with id '${uploadId}' does not exist`);
    }
    return record;
  };

  router.get('/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  router.post(
    '/v1/uploads/:uploadId/complete',
    (req, res, next) =>
      parseJson(req, res, (err?: unknown) => {
        if (err) {
          const tooLarge = (err as { type?: string }).type === 'entity.too.large';
          sendError(
            'v1',
            res,
            tooLarge
              ? new LimitExceededException(`The request body is larger than ${JSON_BODY_LIMIT} bytes`)
              : new RequestValidationError('The request body is not valid JSON', 'body'),
          );
          return;
        }
        next();
      }),
    route('v1.CompleteUpload', async (req, res) => {
      const principal = await authenticateV1(deps.auth, req, 'parsed');
      const uploadId = uploadIdOf(req);
      const body = validateShape<Omit<CompleteLayerUploadInput, 'uploadId'>>(
        'CompleteLayerUploadRequest',
        req.body,
        COMPLETE_BODY,
      );
      noteRepository(req, body.repositoryName);
      deps.auth.permissions.require(principal, 'ecr:CompleteLayerUpload', body.repositoryName);
      const callbackUrl = callbackUrlOf(req.body, deps.callbackAllowlist);
      const record = await deps.uploads.beginCompletion({
        uploadId,
        repositoryName: body.repositoryName,
        registryId: body.registryId,
        layerDigests: body.layerDigests,
        ...(callbackUrl ? { callbackUrl } : {}),
      });
      const document = toStatusDocument(record);
      sendEnvelope(res, 202, {
        id: record.jobId ?? document.id,
        uploadId,
        status: record.status,
        created_at: document.created_at,
        statusUrl: `/v1/uploads/${uploadId}`,
      });
    }),
  );

  router.get(
    '/v1/uploads/:uploadId',
    route('v1.GetUpload', async (req, res) => {
      const principal = await authenticateV1(deps.auth, req, 'parsed');
      const uploadId = uploadIdOf(req);
      const waitSeconds = waitOf(req, deps.maxLongPollSeconds);
      // An upload's status is for whoever may complete uploads in its repository.
      const current = await uploadFor(principal, 'ecr:CompleteLayerUpload', uploadId);
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      const record = await deps.uploads.waitForChange(current, waitSeconds * 1000, abort.signal);
      if (!res.writableEnded && !res.destroyed) sendEnvelope(res, 200, toStatusDocument(record));
    }),
  );

  router.put(
    '/v1/uploads/:uploadId/parts',
    route('v1.UploadPart', async (req, res) => {
      const principal = await authenticateV1(deps.auth, req, 'streamed');
      const uploadId = uploadIdOf(req);
      const range = parseContentRange(req.get('content-range'));
      const record = await uploadFor(principal, 'ecr:UploadLayerPart', uploadId);
      const lastByteReceived = await deps.uploads.uploadPart({
        uploadId,
        repositoryName: record.repositoryName,
        registryId: record.registryId,
        partFirstByte: range.first,
        partLastByte: range.last,
        // Not destroyed when the core stops reading early, so the error can still be answered.
        data: req.iterator({ destroyOnReturn: false }),
        length: range.last - range.first + 1,
      });
      sendEnvelope(res, 200, { id: uploadId, uploadId, lastByteReceived, bytesReceived: lastByteReceived + 1 });
    }),
  );

  // Every other path passes by without walking the router's routes (express matches paths case-insensitively).
  return (req, res, next) => (V1_PATH.test(req.path) ? router(req, res, next) : next());
}

const V1_PATH = /^\/v1(\/|$)/i;

function uploadIdOf(req: Request): string {
  const raw = String(req.params.uploadId);
  const uploadId = parseUploadId(raw);
  if (!uploadId) {
    throw new RequestValidationError(
      `Invalid parameter at 'uploadId': '${raw.slice(0, 64)}' is not an upload id`,
      'uploadId',
    );
  }
  return uploadId;
}

/** Plain decimal seconds: `Number()` alone would read `?wait=` as 0 and `?wait=0x10` as 16. */
const DECIMAL_SECONDS = /^\d{1,9}(\.\d{1,9})?$/;

function waitOf(req: Request, max: number): number {
  const raw = req.query.wait;
  if (raw === undefined) return 0;
  const seconds = typeof raw === 'string' && DECIMAL_SECONDS.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(seconds) || seconds > max) {
    throw new RequestValidationError(`Invalid parameter at 'wait': expected seconds between 0 and ${max}`, 'wait');
  }
  return seconds;
}

function callbackUrlOf(body: unknown, allowlist: readonly string[]): string | undefined {
  const value = (body as { callbackUrl?: unknown }).callbackUrl;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > 2048) {
    throw new RequestValidationError("Invalid parameter at 'callbackUrl': expected a URL", 'callbackUrl');
  }
  if (!isCallbackAllowed(value, allowlist)) {
    throw new RequestValidationError(
      allowlist.length === 0
        ? "Invalid parameter at 'callbackUrl': callbacks are not enabled on this service (CALLBACK_ALLOWLIST)"
        : "Invalid parameter at 'callbackUrl': the URL is not on this service's callback allowlist",
      'callbackUrl',
    );
  }
  return value;
}
