/**
 * OpenAPI 3.1 description of the /v1 status API, served at /v1/openapi.json. The e2e suite
 * validates real responses against it, so it cannot drift from what the service answers.
 */
const errorCodes = [
  'VALIDATION_ERROR',
  'UPLOAD_NOT_FOUND',
  'REPOSITORY_NOT_FOUND',
  'EMPTY_UPLOAD',
  'LAYER_PART_TOO_SMALL',
  'LAYER_ALREADY_EXISTS',
  'INVALID_LAYER',
  'INVALID_LAYER_PART',
  'LIMIT_EXCEEDED',
  'REQUEST_TIMEOUT',
  'INTERNAL_ERROR',
];

const timestamp = { type: 'string', format: 'date-time', examples: ['2025-01-01T00:00:00Z'] };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Longshore status API',
    version: '1.0.0',
    description:
      'Asynchronous completion, status polling and raw part uploads for CI fleets. The ECR-compatible API is served at POST / (AWS JSON 1.1).',
  },
  paths: {
    '/v1/uploads/{uploadId}/complete': {
      post: {
        operationId: 'completeUpload',
        summary: 'Complete an upload asynchronously',
        description:
          'Runs the same checks as CompleteLayerUpload, then enqueues (or joins) the finalize job and answers at once.',
        parameters: [{ $ref: '#/components/parameters/UploadId' }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/CompleteRequest' } } },
        },
        responses: {
          '202': {
            description: 'Accepted: the finalize job is queued (or already running or done)',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CompleteAccepted' } } },
          },
          '400': errorResponse('Invalid input, an empty upload, or a part too small'),
          '404': errorResponse('Unknown upload or repository'),
          '409': errorResponse('The layer already exists in the repository'),
          '500': errorResponse('Internal error; retry'),
        },
      },
    },
    '/v1/uploads/{uploadId}': {
      get: {
        operationId: 'getUpload',
        summary: "An upload's status record",
        parameters: [
          { $ref: '#/components/parameters/UploadId' },
          {
            name: 'wait',
            in: 'query',
            required: false,
            description: 'Long poll: hold the request up to this many seconds until the status changes',
            schema: { type: 'number', minimum: 0 },
          },
        ],
        responses: {
          '200': {
            description: 'The status record',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/StatusEnvelope' } } },
          },
          '400': errorResponse('Invalid upload id or wait'),
          '404': errorResponse('Unknown upload (or its record expired)'),
          '500': errorResponse('Internal error; retry'),
        },
      },
    },
    '/v1/uploads/{uploadId}/parts': {
      put: {
        operationId: 'uploadPart',
        summary: 'Upload one part as raw bytes',
        parameters: [
          { $ref: '#/components/parameters/UploadId' },
          {
            name: 'Content-Range',
            in: 'header',
            required: true,
            schema: { type: 'string', pattern: '^bytes \\d+-\\d+/(\\*|\\d+)$' },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          '200': {
            description: 'The part is stored',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/PartEnvelope' } } },
          },
          '400': errorResponse('Invalid range or body'),
          '404': errorResponse('Unknown upload, or one that no longer takes parts (completed, aborted)'),
          '408': errorResponse(
            'The body sent no bytes for PART_IDLE_TIMEOUT_MS (or ran past PART_MAX_DURATION_MS); retry',
          ),
          '413': errorResponse('Too many parts or too large a layer'),
          '416': errorResponse(
            'The part does not start at the next byte, or a retry of the same part superseded it (details.lastValidByteReceived)',
          ),
          '500': errorResponse('Internal error; retry the part'),
        },
      },
    },
  },
  components: {
    parameters: {
      UploadId: {
        name: 'uploadId',
        in: 'path',
        required: true,
        schema: { type: 'string', format: 'uuid' },
      },
    },
    schemas: {
      CompleteRequest: {
        type: 'object',
        required: ['repositoryName', 'layerDigests'],
        properties: {
          repositoryName: { type: 'string', minLength: 2, maxLength: 256 },
          layerDigests: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string' } },
          registryId: { type: 'string', pattern: '^[0-9]{12}$' },
          callbackUrl: { type: 'string', format: 'uri', description: 'POSTed the final status record, signed' },
        },
      },
      CompleteAccepted: {
        type: 'object',
        required: ['success', 'data'],
        properties: {
          success: { const: true },
          data: {
            type: 'object',
            required: ['id', 'uploadId', 'status', 'created_at'],
            properties: {
              id: { type: 'string', description: 'The finalize job id' },
              uploadId: { type: 'string' },
              status: { $ref: '#/components/schemas/UploadStatus' },
              created_at: timestamp,
              statusUrl: { type: 'string' },
            },
          },
        },
      },
      UploadStatus: { type: 'string', enum: ['uploading', 'queued', 'finalizing', 'completed', 'failed'] },
      StatusRecord: {
        type: 'object',
        required: [
          'id',
          'uploadId',
          'repositoryName',
          'registryId',
          'status',
          'bytesReceived',
          'partsReceived',
          'jobId',
          'layerDigest',
          'layerSize',
          'error',
          'created_at',
          'updated_at',
          'completed_at',
        ],
        properties: {
          id: { type: 'string' },
          uploadId: { type: 'string' },
          repositoryName: { type: 'string' },
          registryId: { type: 'string' },
          status: { $ref: '#/components/schemas/UploadStatus' },
          bytesReceived: { type: 'integer', minimum: 0 },
          partsReceived: { type: 'integer', minimum: 0 },
          jobId: { type: ['string', 'null'] },
          layerDigest: { type: ['string', 'null'] },
          layerSize: { type: ['integer', 'null'] },
          error: {
            oneOf: [
              { type: 'null' },
              {
                type: 'object',
                required: ['code', 'name', 'message'],
                properties: { code: { type: 'string' }, name: { type: 'string' }, message: { type: 'string' } },
              },
            ],
          },
          created_at: timestamp,
          updated_at: timestamp,
          completed_at: { oneOf: [{ type: 'null' }, timestamp] },
        },
      },
      StatusEnvelope: {
        type: 'object',
        required: ['success', 'data'],
        properties: { success: { const: true }, data: { $ref: '#/components/schemas/StatusRecord' } },
      },
      PartEnvelope: {
        type: 'object',
        required: ['success', 'data'],
        properties: {
          success: { const: true },
          data: {
            type: 'object',
            required: ['uploadId', 'lastByteReceived'],
            properties: {
              id: { type: 'string' },
              uploadId: { type: 'string' },
              lastByteReceived: { type: 'integer' },
              bytesReceived: { type: 'integer' },
            },
          },
        },
      },
      ErrorEnvelope: {
        type: 'object',
        required: ['success', 'error'],
        properties: {
          success: { const: false },
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', examples: errorCodes },
              message: { type: 'string' },
              field: { type: 'string', description: 'The offending field, for VALIDATION_ERROR' },
              details: { type: 'object' },
            },
          },
        },
      },
    },
  },
} as const;
