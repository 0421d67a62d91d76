import { base64BlobKeyword, type Base64BlobLimits } from './base64-blob-keyword.js';
import { ecrApiModel, getShape, type EcrApiModel, type ModelShape } from './ecr-api-model.js';

/** The JSON Schema (2020-12 vocabulary, as ajv reads it) this module emits. */
export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  [base64BlobKeyword]?: Base64BlobLimits;
}

export interface ModelToJsonSchemaOptions {
  /** Members of the root structure to leave out (e.g. one a caller takes from the URL). */
  omitMembers?: readonly string[];
  apiModel?: EcrApiModel;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Anchors a model pattern: the AWS model's patterns are meant as full matches (RegistryId
 * `[0-9]{12}` must not accept 13 digits), JSON Schema's `pattern` matches anywhere.
 */
export function anchorPattern(pattern: string): string {
  return `^(?:${unicodeSafe(pattern)})$`;
}

/**
 * The model writes `\-` outside character classes (CredentialArn's `ecr\-pullthroughcache`),
 * an identity escape that unicode-mode regular expressions (ajv's) refuse: it is a plain `-`.
 */
function unicodeSafe(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      out += !inClass && next === '-' ? '-' : c + next;
      i++;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    out += c;
  }
  return out;
}

/** The model pattern an anchored pattern came from, for messages that quote the model. */
export function unanchorPattern(pattern: string): string {
  return pattern.startsWith('^(?:') && pattern.endsWith(')$') ? pattern.slice(4, -2) : pattern;
}

/**
 * The JSON Schema for a model shape. Every shape it references becomes a `$defs` entry named
 * after the shape and is reached by `$ref`, so recursive shapes terminate and each constraint
 * is stated once. Blobs use the `base64Blob` keyword (see base64-blob-keyword.ts), which a
 * validator must register.
 */
export function modelToJsonSchema(shapeName: string, options: ModelToJsonSchemaOptions = {}): JsonSchema {
  const apiModel = options.apiModel ?? ecrApiModel;
  const defs: Record<string, JsonSchema> = {};

  const refTo = (name: string): JsonSchema => {
    if (!Object.hasOwn(defs, name)) {
      defs[name] = {}; // reserve first: a shape that refers back to itself ends here
      defs[name] = convert(getShape(name, apiModel));
    }
    return { $ref: `#/$defs/${name}` };
  };

  const convert = (shape: ModelShape, omit: readonly string[] = []): JsonSchema => {
    switch (shape.type) {
      case 'structure': {
        const properties: Record<string, JsonSchema> = {};
        for (const [member, ref] of Object.entries(shape.members)) {
          if (!omit.includes(member)) properties[member] = refTo(ref.shape);
        }
        const required = (shape.required ?? []).filter((member) => !omit.includes(member));
        return {
          type: 'object',
          properties,
          ...(required.length > 0 ? { required } : {}),
          // AWS services ignore members they do not model; so does Longshore.
          additionalProperties: true,
        };
      }
      case 'list':
        return {
          type: 'array',
          items: refTo(shape.member.shape),
          ...(shape.min !== undefined ? { minItems: shape.min } : {}),
          ...(shape.max !== undefined ? { maxItems: shape.max } : {}),
        };
      case 'string':
        return {
          type: 'string',
          ...(shape.min !== undefined ? { minLength: shape.min } : {}),
          ...(shape.max !== undefined ? { maxLength: shape.max } : {}),
          ...(shape.pattern !== undefined ? { pattern: anchorPattern(shape.pattern) } : {}),
          ...(shape.enum !== undefined ? { enum: [...shape.enum] } : {}),
        };
      case 'integer':
      case 'long': {
        // Longs must stay exact in a JavaScript number; integers are 32-bit in the model.
        const [floor, ceiling] =
          shape.type === 'long' ? [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : [INT32_MIN, INT32_MAX];
        return {
          type: 'integer',
          minimum: Math.max(shape.min ?? floor, floor),
          maximum: Math.min(shape.max ?? ceiling, ceiling),
        };
      }
      case 'boolean':
        return { type: 'boolean' };
      case 'timestamp':
        // AWS JSON 1.1 sends timestamps as epoch seconds.
        return { type: 'number' };
      case 'blob':
        return {
          type: 'string',
          [base64BlobKeyword]: {
            ...(shape.min !== undefined ? { minBytes: shape.min } : {}),
            ...(shape.max !== undefined ? { maxBytes: shape.max } : {}),
          },
        };
      default: {
        const unsupported: { type: string } = shape;
        throw new Error(`Shape type '${unsupported.type}' is not supported by request validation`);
      }
    }
  };

  const root = convert(getShape(shapeName, apiModel), options.omitMembers);
  return Object.keys(defs).length > 0 ? { ...root, $defs: defs } : root;
}
