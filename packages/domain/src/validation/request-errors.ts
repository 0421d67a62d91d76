import type { ErrorObject } from 'ajv';
import { base64BlobKeyword, type Base64BlobErrorParams } from './base64-blob-keyword.js';
import { unanchorPattern } from './model-to-json-schema.js';
import { RequestSerializationError } from './request-serialization-error.js';
import { RequestValidationError } from './validation-error.js';

/**
 * Turns ajv's errors into the exception AWS would raise. A value of the wrong JSON type is a
 * protocol error (`SerializationException`, the first one found, as AWS stops deserialising
 * there); every other failure is a modeled constraint and all of them are reported at once, in
 * AWS's words: `2 validation errors detected: Value 'Bad_Name' at 'repositoryName' failed to
 * satisfy constraint: Member must satisfy regular expression pattern: ...; ...`.
 */
export function toRequestError(
  errors: readonly ErrorObject[],
  data: unknown,
): RequestSerializationError | RequestValidationError {
  const typeError = errors.find((error) => error.keyword === 'type');
  if (typeError) {
    const { field, value } = locate(typeError.instancePath, data);
    return new RequestSerializationError(
      `Unexpected value type for ${field ? `'${field}'` : 'the request body'}: expected ${expectedType(typeError.params.type, value)}`,
      field || 'body',
    );
  }
  const problems = errors.map((error) => describe(error, data));
  const first = problems[0];
  if (!first) return new RequestValidationError('1 validation error detected: the request is invalid', '');
  const count = problems.length === 1 ? '1 validation error detected' : `${problems.length} validation errors detected`;
  return new RequestValidationError(`${count}: ${problems.map((p) => p.text).join('; ')}`, first.field);
}

interface Problem {
  field: string;
  text: string;
}

function describe(error: ErrorObject, data: unknown): Problem {
  if (error.keyword === 'required') {
    const parent = locate(error.instancePath, data).field;
    const member = String(error.params.missingProperty);
    const field = parent ? `${parent}.${member}` : member;
    return { field, text: `Value null at '${field}' failed to satisfy constraint: Member must not be null` };
  }
  const { field, value } = locate(error.instancePath, data);
  const subject = error.keyword === base64BlobKeyword ? 'Value' : `Value ${quote(value)}`;
  return { field, text: `${subject} at '${field}' failed to satisfy constraint: ${constraint(error)}` };
}

function constraint(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'pattern':
      return `Member must satisfy regular expression pattern: ${unanchorPattern(String(params.pattern))}`;
    case 'minLength':
    case 'minItems':
      return `Member must have length greater than or equal to ${String(params.limit)}`;
    case 'maxLength':
    case 'maxItems':
      return `Member must have length less than or equal to ${String(params.limit)}`;
    case 'minimum':
      return `Member must have value greater than or equal to ${String(params.limit)}`;
    case 'maximum':
      return `Member must have value less than or equal to ${String(params.limit)}`;
    case 'enum':
      return `Member must satisfy enum value set: [${(params.allowedValues as unknown[]).join(', ')}]`;
    case base64BlobKeyword: {
      const blob = params as Base64BlobErrorParams;
      if (blob.reason === 'base64') return 'Member must be valid base64';
      const relation = blob.comparison === '<=' ? 'less than or equal to' : 'greater than or equal to';
      return `Member must have length ${relation} ${blob.limit}`;
    }
    default:
      return `Member ${error.message ?? 'is invalid'}`;
  }
}

/**
 * The AWS name of the field at a JSON pointer, and its value: members joined by dots, list
 * elements as `<1-based index>.member` (`layerDigests.2.member`), as AWS's messages put it.
 */
function locate(instancePath: string, data: unknown): { field: string; value: unknown } {
  const names: string[] = [];
  let value = data;
  for (const segment of instancePath.split('/').slice(1)) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      names.push(String(Number(key) + 1), 'member');
      value = value[Number(key)];
    } else {
      names.push(key);
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  return { field: names.join('.'), value };
}

const MAX_QUOTED = 512;

/** A value as AWS quotes it in messages (lists as `[a, b]`), cut short if very long. */
function quote(value: unknown): string {
  let text = Array.isArray(value) ? '[' : String(value);
  if (Array.isArray(value)) {
    for (const [index, element] of value.entries()) {
      if (text.length > MAX_QUOTED) break;
      text += `${index > 0 ? ', ' : ''}${String(element)}`;
    }
    if (text.length <= MAX_QUOTED) text += ']';
  }
  return `'${text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text}'`;
}

function expectedType(type: unknown, value: unknown): string {
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? 'an integer' : 'a number';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
    default:
      return String(type);
  }
}
