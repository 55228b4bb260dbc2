/** File output for the CLI edge: atomic, so a failed run leaves nothing half-written. */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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

/**
 * Writes a directory tree atomically: into a temporary sibling first, then
 * renamed into place. A non-empty `dir` is refused unless `force`.
 */
export function writeTreeAtomic(dir: string, files: readonly { path: string; content: string | Uint8Array }[], force: boolean): void {
  let exists = false;
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) throw new GenRtlError(dir, 'exists and is not a directory');
    exists = true;
    if (readdirSync(dir).length > 0 && !force) throw new GenRtlError(dir, 'is not empty; use --force to replace it');
  } catch (e) {
    if (e instanceof GenRtlError) throw e;
  }
  const parent = dirname(resolve(dir));
  if (!existsSync(parent)) throw new GenRtlError(dir, `parent directory ${parent} does not exist`);
  const tmp = join(parent, `.${basename(resolve(dir))}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const f of files) {
      const path = join(tmp, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    if (exists) {
      const old = `${tmp}.old`;
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof GenRtlError) throw e;
    throw new GenRtlError(dir, `cannot write (${(e as { code?: string }).code ?? String(e)})`);
  }
}
