/** The errors the MongoDB test double answers with (ok:0, code, codeName, errmsg). */
import type { Document } from 'bson';

export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
  }
}

/** Something the double does not implement: always reported, never silently agreed to. */
export class Unsupported extends CommandError {}

export const unsupported = (what: string, code = 2, codeName = 'BadValue') =>
  new Unsupported(code, codeName, `mongo-double: unsupported ${what}`);
