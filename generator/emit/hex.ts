/**
 * ROM images for $readmemh: each row packs fields of `width` bits (≤ 32),
 * field i at bits [i·width +: width] in two's complement, written as hex with
 * the most significant digit first.
 */

/** Packs `values` (field 0 in the low bits) into one hex row of ceil(total/4) digits. */
export function packRow(values: ArrayLike<number>, width: number): string {
  if (width < 1 || width > 32) throw new Error(`packRow: field width ${width} is outside 1..32`);
  const nibbles = new Uint8Array(Math.ceil((values.length * width) / 4));
  for (let i = 0; i < values.length; i++) {
    const bits = values[i]! >>> 0; // two's complement; the low `width` bits are used
    for (let b = 0; b < width; b++) {
      if ((bits >>> b) & 1) {
        const pos = i * width + b;
        nibbles[pos >> 2]! |= 1 << (pos & 3);
      }
    }
  }
  let s = '';
  for (let i = nibbles.length - 1; i >= 0; i--) s += nibbles[i]!.toString(16);
  return s;
}

/** A whole ROM image: one row per line. */
export function romImage(rows: readonly string[]): string {
  return `${rows.join('\n')}\n`;
}
