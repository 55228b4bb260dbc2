/** File output for the CLI edge: atomic, so a failed run leaves nothing half-written. */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GenRtlError } from './errors.js';

/** Writes `data` to a temporary file beside `path`, then renames it into place. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new GenRtlError(path, `directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new GenRtlError(path, `${dir} is not a directory`);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as { code?: string }).code;
    throw new GenRtlError(path, code === 'EISDIR' ? 'is a directory' : `cannot write (${code ?? String(e)})`);
  }
}
