import { SerializationException } from '../errors/ecr-errors.js';

/**
 * A `SerializationException` raised by request validation (a value of the wrong JSON type, or a
 * body that is not an object), which also knows the offending field (`repositoryName`, or `body`
 * for the whole body) so the JSON status API can name it, as it does for `RequestValidationError`.
 * `field` is not an ECR wire field: it stays out of `fields`.
 */
export class RequestSerializationError extends SerializationException {
  readonly field: string;

  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}
