import model from '../ecr-api-model.json' with { type: 'json' };

/**
 * Typed access to the Amazon ECR API model (`ecr-api-model.json`), the contract request
 * validation is derived from. Only the parts of the AWS model format that validation reads are
 * typed here; shapes carry more (documentation, exception traits) that is ignored.
 */

export interface ShapeRef {
  shape: string;
}

interface ShapeConstraints {
  min?: number;
  max?: number;
}

export interface StructureShape {
  type: 'structure';
  members: Record<string, ShapeRef>;
  required?: string[];
}

export interface ListShape extends ShapeConstraints {
  type: 'list';
  member: ShapeRef;
}

export interface StringShape extends ShapeConstraints {
  type: 'string';
  pattern?: string;
  enum?: string[];
}

export interface NumberShape extends ShapeConstraints {
  type: 'integer' | 'long';
}

export interface BlobShape extends ShapeConstraints {
  type: 'blob';
}

export interface BooleanShape {
  type: 'boolean';
}

export interface TimestampShape {
  type: 'timestamp';
}

export type ModelShape =
  | StructureShape
  | ListShape
  | StringShape
  | NumberShape
  | BlobShape
  | BooleanShape
  | TimestampShape;

export interface ModelOperation {
  name: string;
  input?: ShapeRef;
  output?: ShapeRef;
  errors?: ShapeRef[];
}

export interface EcrApiModel {
  metadata: { apiVersion: string; protocol: string; targetPrefix: string };
  operations: Record<string, ModelOperation>;
  shapes: Record<string, ModelShape>;
}

// The JSON import is typed with widened strings (`type: string`); the file is the published
// model, so it is taken as the format above rather than re-validated at start-up.
export const ecrApiModel = model as unknown as EcrApiModel;

/** The named shape; throws on a name the model does not define (a programming error). */
export function getShape(name: string, apiModel: EcrApiModel = ecrApiModel): ModelShape {
  const shape = Object.hasOwn(apiModel.shapes, name) ? apiModel.shapes[name] : undefined;
  if (!shape) throw new Error(`The ECR API model has no shape named '${name}'`);
  return shape;
}
