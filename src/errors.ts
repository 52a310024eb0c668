// The one error type bespoke throws for conditions a user can cause or fix.
// Errors in C input are diagnostics (values), not exceptions; this is for
// misuse of an API or CLI, missing build outputs, limits exceeded.

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export class BespokeError extends Error {
  override readonly name = "BespokeError";
  constructor(
    /** Stable machine-readable code, e.g. "INPUT_TOO_LARGE". */
    readonly code: string,
    message: string,
    readonly position?: SourcePosition,
  ) {
    super(position ? `${position.file}:${position.line}:${position.column}: ${message}` : message);
  }
}
