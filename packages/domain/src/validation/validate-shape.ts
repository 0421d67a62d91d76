import { Ajv, type ValidateFunction } from 'ajv';
import { base64BlobKeywordDefinition } from './base64-blob-keyword.js';
import { getShape } from './ecr-api-model.js';
import { modelToJsonSchema } from './model-to-json-schema.js';
import { RequestSerializationError } from './request-serialization-error.js';
import { toRequestError } from './request-errors.js';

export interface ValidateShapeOptions {
  /** Members of the root structure not taken from the body (e.g. `uploadId` from a URL path). */
  omitMembers?: readonly string[];
}

/**
 * Two validators per shape: `first` stops at the first violation and decides; `all` collects
 * every violation for the message, and only runs on a rejected request whose lists are cut
 * short (ajv's allErrors would otherwise build an error per element of a huge invalid list).
 * `all` is compiled only when a request is rejected: an accepted one never needs it.
 */
interface ShapeValidators {
  first: ValidateFunction;
  all(): ValidateFunction;
}

/** Elements of a list the model does not bound that the full report looks at. */
const UNBOUNDED_LIST_REPORT_LIMIT = 100;

let ajvFirst: Ajv | undefined;
let ajvAll: Ajv | undefined;
const cache = new Map<string, ShapeValidators>();

function createAjv(allErrors: boolean): Ajv {
  return new Ajv({ allErrors, strict: true, logger: false }).addKeyword(base64BlobKeywordDefinition);
}

function validatorsFor(shapeName: string, omitMembers: readonly string[]): ShapeValidators {
  const key = [shapeName, ...omitMembers].join('\0');
  let validators = cache.get(key);
  if (!validators) {
    const schema = modelToJsonSchema(shapeName, { omitMembers });
    ajvFirst ??= createAjv(false);
    let all: ValidateFunction | undefined;
    validators = {
      first: ajvFirst.compile(schema),
      all: () => {
        ajvAll ??= createAjv(true);
        all ??= ajvAll.compile(schema);
        return all;
      },
    };
    cache.set(key, validators);
  }
  return validators;
}

/**
 * Compiles the validator of a shape now rather than on its first request (a few milliseconds
 * of ajv code generation each, which the first push after a start would otherwise wait for).
 */
export function prepareShapeValidator(shapeName: string, options: ValidateShapeOptions = {}): void {
  validatorsFor(shapeName, options.omitMembers ?? []);
}

/**
 * Validates a parsed JSON request body against a structure of the ECR API model and returns
 * it typed: only modeled members (unknown ones are dropped, `null` ones count as absent, as in
 * AWS JSON 1.1), blobs decoded to `Buffer`s. The caller's object is not modified. Throws
 * `RequestSerializationError` (a `SerializationException`) for a non-object body or a value of
 * the wrong JSON type, and `RequestValidationError` (an `InvalidParameterException`) listing
 * every violation of the model otherwise; both name the offending field. Validators are
 * compiled on first use and cached per shape.
 */
export function validateShape<T>(shapeName: string, body: unknown, options: ValidateShapeOptions = {}): T {
  if (!isJsonObject(body)) {
    throw new RequestSerializationError('Unexpected value type for the request body: expected a JSON object', 'body');
  }
  const omitMembers = options.omitMembers ?? [];
  const validators = validatorsFor(shapeName, omitMembers);
  const input = project(shapeName, body, { omitMembers, reportOnly: false });
  if (validators.first(input)) return input as T;

  // A fresh copy: the first pass may already have decoded blobs in `input`.
  const report = project(shapeName, body, { omitMembers, reportOnly: true });
  const all = validators.all();
  if (!all(report)) throw toRequestError(all.errors ?? [], report);
  // The violation lies beyond the part of a long list the report looked at.
  throw toRequestError(validators.first.errors ?? [], input);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

interface ProjectOptions {
  omitMembers?: readonly string[];
  /** Also cut lists the model does not bound (which changes their validity: report only). */
  reportOnly: boolean;
}

/**
 * A copy of `value` holding only what the model describes: structures keep their modeled,
 * non-null members; lists are copied element by element, up to one element past the model's
 * maximum (enough to fail it). Values of the wrong type are kept as they are for the validator
 * to report. The copy is what validation may modify (blobs).
 */
function project(shapeName: string, value: unknown, options: ProjectOptions): unknown {
  const shape = getShape(shapeName);
  const nested: ProjectOptions = { reportOnly: options.reportOnly };
  if (shape.type === 'structure' && isJsonObject(value)) {
    const omitMembers = options.omitMembers ?? [];
    const copy: Record<string, unknown> = {};
    for (const [member, ref] of Object.entries(shape.members)) {
      if (omitMembers.includes(member) || !Object.hasOwn(value, member)) continue;
      const memberValue = value[member];
      if (memberValue !== null && memberValue !== undefined) copy[member] = project(ref.shape, memberValue, nested);
    }
    return copy;
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    const limit = shape.max ?? (options.reportOnly ? UNBOUNDED_LIST_REPORT_LIMIT : undefined);
    const kept = limit !== undefined && value.length > limit + 1 ? value.slice(0, limit + 1) : value;
    return kept.map((element: unknown) => project(shape.member.shape, element, nested));
  }
  return value;
}
