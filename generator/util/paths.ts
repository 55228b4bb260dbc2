/** Where gen-rtl's own files (rtl/, templates/, sim/) are, from source or from dist/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
