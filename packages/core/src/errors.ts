/** Every failure a user can cause or meet, as a stable string code. */
export type HeadstartErrorCode =
  | 'USAGE'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_EMPTY'
  | 'DATASET_UNUSABLE'
  | 'DATASET_LAYOUT'
  | 'MANIFEST_INVALID'
  | 'IDX_INVALID'
  | 'IMAGE_UNDECODABLE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_FORMAT_UNSUPPORTED'
  | 'SPEC_INVALID'
  | 'SPEC_MISMATCH'
  | 'BASE_UNKNOWN'
  | 'BASE_UNREACHABLE'
  | 'BASE_INTEGRITY'
  | 'LAYER_NOT_FOUND'
  | 'INPUT_SIZE_UNSUPPORTED'
  | 'UNSUPPORTED_LAYER'
  | 'BACKEND_UNAVAILABLE'
  | 'RUN_NOT_FOUND'
  | 'RUN_INCOMPLETE'
  | 'RUN_EXISTS'
  | 'CHECKPOINT_INVALID'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_INVALID'
  | 'EXPORT_PARITY'
  | 'EXPLAIN_UNAVAILABLE'
  | 'INFERENCE_FAILED'
  | 'QUEUE_FULL'
  | 'DEADLINE_EXCEEDED'
  | 'INTERRUPTED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'IO';

/** The one error class of Headstart: a code, an actionable message, and the cause. */
export class HeadstartError extends Error {
  override readonly name = 'HeadstartError';
  readonly code: HeadstartErrorCode;
  /** Extra structured facts (file, layer, value) for reporters. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: HeadstartErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** True when `e` is a HeadstartError, optionally of the given code. */
export function isHeadstartError(e: unknown, code?: HeadstartErrorCode): e is HeadstartError {
  return e instanceof HeadstartError && (code === undefined || e.code === code);
}
