/** Where gen-rtl's own files (rtl/, templates/, sim/) are, from source or from dist/. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'rtl'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('gen-rtl: cannot find its package root (rtl/ beside package.json)');
    dir = up;
  }
  root = dir;
  return dir;
}

/** The executable `cmd` as the shell would find it on PATH; null when there is none. */
export function onPath(cmd: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}
