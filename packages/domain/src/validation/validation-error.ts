import { InvalidParameterException } from '../errors/ecr-errors.js';

/**
 * An `InvalidParameterException` raised by request validation, which also knows the first
 * offending field (`repositoryName`, `layerDigests.2.member`) so the JSON status API can name
 * it. `field` is not an ECR wire field: it stays out of `fields`.
 */
export class RequestValidationError extends InvalidParameterException {
  readonly field: string;

  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}
