import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

// ajv-formats is CommonJS (`module.exports = plugin`, plus `exports.default = plugin`): under
// NodeNext the default import is typed as the whole module, whose `default` is the plugin.
const addFormats: FormatsPlugin = addFormatsModule.default;

/** The parts of an OpenAPI 3.1 document this checker reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Record<string, unknown>;
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: unknown[];
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

export interface ResponseCheck {
  /** Violations of the documented schema (empty when the response conforms). */
  errors: string[];
  /** Members the response carries that the document does not describe. */
  undocumented: string[];
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * Validates real HTTP responses against an OpenAPI 3.1 document with ajv's JSON Schema 2020-12
 * dialect (the one OpenAPI 3.1 uses). The whole document is registered under an id, so its
 * `#/components/...` references resolve as they would for any OpenAPI tool.
 *
 * Each response is checked twice: against the document as written (the contract), and against
 * a copy in which every object schema that lists `properties` is closed (no members beyond
 * them), to find what the service sends but the document does not describe.
 */
export class OpenApiResponses {
  private readonly contract: Ajv2020;
  private readonly closed: Ajv2020;
  private readonly cache = new Map<string, { contract: ValidateFunction; closed: ValidateFunction }>();

  constructor(readonly document: OpenApiDocument) {
    this.contract = createAjv(document);
    this.closed = createAjv(closeObjects(structuredClone(document)));
  }

  /** Every (path, method) the document describes. */
  operations(): { path: string; method: string; operation: OpenApiOperation }[] {
    return Object.entries(this.document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, operation]) => ({ path, method, operation })),
    );
  }

  /**
   * Checks a response body received for `method path` with `status` against the schema the
   * document gives for that status and content type; a status or content type the document
   * does not list for the operation is itself an error.
   */
  check(path: string, method: string, status: number, contentType: string | null, body: unknown): ResponseCheck {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) return { errors: [`${method} ${path} is not in the document`], undocumented: [] };
    const response = operation.responses[String(status)];
    if (!response) return { errors: [`${method} ${path} does not document status ${status}`], undocumented: [] };
    const mediaType = (contentType ?? '').split(';')[0]!.trim();
    if (!response.content?.[mediaType]) {
      return {
        errors: [`${method} ${path} ${status} does not document content type '${mediaType}'`],
        undocumented: [],
      };
    }
    const validators = this.validatorsFor(path, method.toLowerCase(), String(status), mediaType);
    const errors = validators.contract(body) ? [] : describeErrors(validators.contract);
    const undocumented =
      errors.length === 0 && !validators.closed(body)
        ? (validators.closed.errors ?? [])
            .filter((e) => e.keyword === 'additionalProperties')
            .map((e) => `${e.instancePath || '/'}: ${String(e.params.additionalProperty)}`)
        : [];
    return { errors, undocumented };
  }

  private validatorsFor(path: string, method: string, status: string, mediaType: string) {
    const pointer = ['paths', path, method, 'responses', status, 'content', mediaType, 'schema']
      .map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1')))
      .join('/');
    let validators = this.cache.get(pointer);
    if (!validators) {
      validators = {
        contract: this.contract.compile({ $ref: `${DOCUMENT_ID}#/${pointer}` }),
        closed: this.closed.compile({ $ref: `${DOCUMENT_ID}#/${pointer}` }),
      };
      this.cache.set(pointer, validators);
    }
    return validators;
  }
}

const DOCUMENT_ID = 'urn:longshore:openapi';

function createAjv(document: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, logger: false });
  addFormats(ajv);
  // The document's top-level members are OpenAPI, not JSON Schema: let ajv hold them without
  // reading them, and resolve references into them by JSON pointer.
  ajv.addVocabulary(['openapi', 'info', 'paths', 'components', 'servers', 'tags', 'webhooks', 'jsonSchemaDialect']);
  // OpenAPI's own schema keywords (the 3.1 base dialect), should the document use them.
  ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  return ajv;
}

/** Adds `additionalProperties: false` to every schema object that lists `properties`. */
function closeObjects<T>(node: T): T {
  if (Array.isArray(node)) {
    node.forEach(closeObjects);
  } else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    for (const value of Object.values(record)) closeObjects(value);
    const properties = record.properties;
    if (
      properties &&
      typeof properties === 'object' &&
      !Array.isArray(properties) &&
      record.additionalProperties === undefined
    ) {
      record.additionalProperties = false;
    }
  }
  return node;
}

function describeErrors(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}
