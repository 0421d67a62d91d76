import type { Socket } from 'node:net';
import type { StagedPartFile } from '@longshore/storage';
import { partProgressAvailable, type HashPool } from '@longshore/digest';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  SerializationException,
  UnknownOperationException,
  InvalidParameterException,
  servedOperations,
  validateEcrInput,
  type EcrOperation,
  type UploadLayerPartInput,
  INLINE_HASH_MAX_BYTES,
} from '@longshore/domain';
import { claimedAccessKeyId } from '@longshore/auth';
import { ecrAuditEvents } from '../audit/ecr-audit-events.js';
import { isMutatingEcrOperation, type RequestAudit } from '../audit/request-audit.js';
import { type AuthGate, knockOf } from '../auth/auth-gate.js';
import { ecrPermissionFor } from '../auth/ecr-permission.js';
import { hashRawBody, rawBodySha256, setRawBodySha256, signedRequestOf } from '../auth/signed-request.js';
import { handleRequest, type RequestScope } from '../errors/handle-request.js';
import { noteCaller, noteRepository } from '../http/request-facts.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import type { RepositoryService } from '../repositories/repository-service.js';
import type { OperationTable } from './operations/index.js';
import { canStreamPartBody, isBodyReadError, parseJsonBody, readStreamedPartBody, sendEcrResult } from './ecr-wire.js';
import { type IngestHeapGrowth, unmanagedHeapGrowth } from '../uploads/ingest-heap-growth.js';
import type { OperationContext } from './operation-context.js';
import { DecodeBuffers } from './decode-buffers.js';
import { PartPrehash } from './part-prehash.js';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const served = new Set<string>(servedOperations);

/**
 * The decode buffers parts reuse (decode-buffers.ts): two slots, so a client's next part (or a
 * second client) finds one free while the last part's answer goes out; a slot holds the model's
 * largest part (20 MiB) with room for a body that carries it before its other members.
 */
const DECODE_SLOTS = 2;
const DECODE_SLOT_BYTES = 20 * 1024 * 1024 + 64 * 1024;
const DECODE_SLOT_IDLE_MS = 10_000;

export interface EcrRouterDeps {
  operations: OperationTable;
  metrics: ApiMetrics;
  /** MAX_REQUEST_BYTES: the largest UploadLayerPart body. */
  maxRequestBytes: number;
  /** MAX_OPERATION_BODY_BYTES: the largest body of every other operation. */
  maxOperationBodyBytes: number;
  baseUrl(req: Request): string;
  auth: AuthGate;
  audit?: RequestAudit;
  /** Checks the registry id a request names, once for every operation, as the request is decoded. */
  repositories: Pick<RepositoryService, 'registryId'>;
  /** V8's own heap growth while a part body streams in (see ingest-heap-growth.ts). */
  heapGrowth?: IngestHeapGrowth;
  /** Storage's staged part files (LocalParts.stagePart): a part is written as it is decoded. */
  stagePart?: () => Promise<StagedPartFile>;
  /** Hash threads that hash a part's decoded bytes as its body arrives (part-prehash.ts). */
  hashPool?: Pick<HashPool, 'advancePart'>;
  /** Large parts are recorded with this boot's mark, not a CRC32C (part-writer.ts): none is taken. */
  partsBootMarked?: boolean;
}

/** What the audit line of an ECR mutation needs, filled in as the request goes. */
interface Audited {
  input?: unknown;
  output?: unknown;
}

/** The AWS JSON 1.1 endpoint: `POST /` with `X-Amz-Target` naming the operation. */
export function createEcrRouter(deps: EcrRouterDeps): RequestHandler {
  const router = Router();
  // Authenticate before parsing: the raw bytes are read (within a small limit, but for a part)
  // and hashed, SigV4 is checked against that hash, and only then is the JSON parsed.
  const readRaw = (limit: number) => express.raw({ type: () => true, limit, verify: hashRawBody });
  const readOperationBody = readRaw(deps.maxOperationBodyBytes);
  const readPartBody = readRaw(deps.maxRequestBytes);
  const decodeBuffers = new DecodeBuffers({
    slots: DECODE_SLOTS,
    slotBytes: DECODE_SLOT_BYTES,
    idleMs: DECODE_SLOT_IDLE_MS,
    // A part the part writer hashes inline and writes in one call gains nothing from a slot or staging.
    minBytes: INLINE_HASH_MAX_BYTES + 1,
  });
  /**
   * The layer state each connection's last stored part left: the guess a part's running hash
   * starts from (part-prehash.ts). Only parts stored after an authenticated claim set it.
   */
  const layerStateGuesses = new WeakMap<Socket, string>();
  const prehashFor = (req: Request) => {
    const pool = deps.hashPool;
    // A body too short to carry a part over the inline-hash bound takes no slot: nothing to hash here.
    if (!pool || !partProgressAvailable || !(Number(req.headers['content-length']) > INLINE_HASH_MAX_BYTES)) {
      return undefined;
    }
    const socket = req.socket;
    return new PartPrehash({
      pool,
      from: layerStateGuesses.get(socket) ?? '',
      checksum: !deps.partsBootMarked,
      hashed: (layerState, guessed) => {
        layerStateGuesses.set(socket, Buffer.from(layerState).toString('base64'));
        deps.metrics.partHashGuesses.inc({ outcome: guessed ? 'hit' : 'miss' });
      },
    });
  };

  router.post('/', (req, res) => {
    const operation = operationOf(req);
    res.locals.operation = operation ?? 'unknown';
    const handled = (
      parseError?: unknown,
      streamed?: { blob: Buffer | undefined; release(): Promise<void> },
    ): Promise<void> => {
      const controller = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const scope: RequestScope = { wire: 'ecr', operation: operation ?? 'unknown', signal: controller.signal };
      // A refused part is answered once nothing of it is staged any more.
      if (streamed) scope.beforeAnswer = streamed.release;
      const audited: Audited = {};
      const { audit } = deps;
      if (audit?.enabled && operation && isMutatingEcrOperation(operation)) {
        // The audit trail's one call for this door. Not a request refused before its caller was known.
        scope.audit = (outcome) => {
          if (!req.callerKeyId) return;
          const error = outcome === 'ok' ? undefined : outcome;
          for (const event of ecrAuditEvents(operation, audited.input ?? req.body, audited.output, error)) {
            audit.record(req, event);
          }
        };
      }
      return handleRequest(
        req,
        res,
        scope,
        () => handle(req, res, operation, controller.signal, audited, parseError, streamed),
        deps.metrics,
      );
    };
    if (operation === 'UploadLayerPart' && canStreamPartBody(req)) {
      // The part's base64 is decoded as it arrives, never buffered whole (ecr-wire.ts).
      const heapGrowth = deps.heapGrowth ?? unmanagedHeapGrowth;
      heapGrowth
        .during(() =>
          readStreamedPartBody(req, deps.maxRequestBytes, {
            buffers: decodeBuffers,
            stagePart: deps.stagePart,
            prehash: prehashFor(req),
            passed: heapGrowth.passed,
          }),
        )
        .then(
          (read) => {
            req.body = read.body;
            setRawBodySha256(req, read.sha256);
            // The part was written and hashed (or refused) once the request is handled: its memory goes back.
            void handled(undefined, read).finally(read.release);
          },
          (err: unknown) => {
            const sha256 = (err as { sha256?: string }).sha256;
            if (sha256) setRawBodySha256(req, sha256);
            void handled(err);
          },
        );
      return;
    }
    const read = operation === 'UploadLayerPart' ? readPartBody : readOperationBody;
    read(req, res, (readError?: unknown) => void handled(readError));
  });

  async function handle(
    req: Request,
    res: Response,
    operation: EcrOperation | undefined,
    signal: AbortSignal,
    audited: Audited,
    parseError: unknown,
    /** Set when the part body was read by the streaming reader (req.body is then parsed already). */
    streamed?: { blob: Buffer | undefined },
  ) {
    const knock = knockOf('ecr', req);
    // The service failed while the body was read (not the body): a ServerException, counted against no one.
    if (parseError && !isBodyReadError(parseError)) throw parseError;
    if (parseError && (parseError as { sha256?: string }).sha256 === undefined) {
      // The body could not be read (too large, an unknown coding): never authenticated, counted against the source.
      const error = bodyError(parseError);
      await deps.auth.refused(knock, error, claimedAccessKeyId(req.get('authorization')));
      throw error;
    }
    const principal = await deps.auth.sigv4(knock, signedRequestOf(req, rawBodySha256(req)));
    noteCaller(req, principal);
    if (!operation) {
      const target = req.get('x-amz-target');
      throw new UnknownOperationException(
        target ? `Unknown operation '${target}'` : 'Missing X-Amz-Target header naming the operation',
      );
    }
    if (parseError) throw bodyError(parseError);
    // An empty body parses as nothing (`{}` to AWS); a literal `null` is not an object (SerializationException).
    const body: unknown = streamed ? req.body : parseJsonBody(req);
    const input = validateEcrInput(operation, body === undefined ? {} : body);
    audited.input = input;
    noteRepository(req, (input as { repositoryName?: string }).repositoryName);
    // The streamed part's stand-in passed validation as the part itself would have.
    if (streamed?.blob) (input as UploadLayerPartInput).layerPartBlob = streamed.blob;
    const permission = ecrPermissionFor(operation, input);
    if (!permission.filtered || permission.repositories.length > 0) {
      deps.auth.permissions.require(principal, permission.action, permission.repositories);
    }
    const registryId = deps.repositories.registryId((input as { registryId?: string }).registryId);
    const ctx: OperationContext = {
      requestId: String(req.id),
      registryId,
      // The request's logger is a pino child made on first use: most operations never log.
      get log() {
        return req.log;
      },
      // Resolved (and refused for a Host the service does not answer for) only by operations that need it.
      get baseUrl() {
        return deps.baseUrl(req);
      },
      signal,
      principal,
      allows: (action, repositoryName) => deps.auth.permissions.can(principal, action, repositoryName),
    };
    const run = deps.operations[operation] as (input: unknown, ctx: OperationContext) => Promise<object>;
    audited.output = await run(input, ctx);
    // A new upload's first part starts from the empty state: the guess for this connection's next part.
    if (operation === 'InitiateLayerUpload') layerStateGuesses.delete(req.socket);
    sendEcrResult(res, audited.output as object);
  }

  // Every other path passes by without walking the router (the door serves `/` only).
  return (req, res, next) => (req.path === '/' ? router(req, res, next) : next());
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
