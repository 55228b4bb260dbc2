/**
 * The one error class for problems a user can fix: bad input files, illegal
 * parameters, designs that do not fit. The CLI prints `error: <message>` on one
 * line and exits 1; anything else escaping is a bug in gen-rtl.
 */
export class GenRtlError extends Error {
  override readonly name = 'GenRtlError';

  /** `where` names the place (file, layer, tensor, byte offset) the problem is at. */
  constructor(where: string, what: string) {
    super(`${where}: ${what}`);
  }
}

/** Exhaustiveness check for `switch (x.kind)`. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
