import { createHash } from 'node:crypto';

/** SHA-256 digest (32 bytes) of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(bytes).digest();
  // A fresh plain Uint8Array, so callers never hold a pooled Buffer.
  return new Uint8Array(digest);
}

/** Plain equality: the checksum guards against corruption, not attackers, so timing is irrelevant. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}
