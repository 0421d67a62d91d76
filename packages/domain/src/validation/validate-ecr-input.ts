import { UnknownOperationException } from '../errors/ecr-errors.js';
import { ecrApiModel } from './ecr-api-model.js';
import { isEcrOperation, type EcrInputs, type EcrOperation } from './ecr-inputs.js';
import { prepareShapeValidator, validateShape } from './validate-shape.js';

/**
 * Validates the JSON body of an ECR request against the operation's input shape in the ECR API
 * model and returns it typed (blobs decoded). Throws `SerializationException` for a body that
 * is not an object or a value of the wrong JSON type, `RequestValidationError`
 * (`InvalidParameterException`) for any other violation of the model, and
 * `UnknownOperationException` for an operation this service does not serve.
 */
export function validateEcrInput<O extends EcrOperation>(operation: O, body: unknown): EcrInputs[O] {
  return validateShape<EcrInputs[O]>(inputShapeOf(operation), body);
}

/** Compiles the input validators of `operations` now, not on their first request (see prepareShapeValidator). */
export function prepareEcrInputValidators(operations: readonly EcrOperation[]): void {
  for (const operation of operations) prepareShapeValidator(inputShapeOf(operation));
}

function inputShapeOf(operation: EcrOperation): string {
  const inputShape = isEcrOperation(operation) ? ecrApiModel.operations[operation]?.input?.shape : undefined;
  if (!inputShape) throw new UnknownOperationException(`Unknown operation ${String(operation)}`);
  return inputShape;
}
