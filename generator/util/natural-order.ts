/**
 * Natural order of names: runs of digits compare by value, so img-2.png comes
 * before img-10.png. Everything else compares by UTF-16 code unit, not by
 * locale, so the order is the same on every machine.
 */
export function naturalCompare(a: string, b: string): number {
  const ra = runs(a);
  const rb = runs(b);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    const c = isDigits(x) && isDigits(y) ? compareDigits(x, y) : compareCodeUnits(x, y);
    if (c !== 0) return c;
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  // Equal up to leading zeros (a1 vs a01): fall back to plain order, so the sort is total.
  return compareCodeUnits(a, b);
}

function runs(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}

function isDigits(s: string): boolean {
  return s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57;
}

/** By value, for any length: strip leading zeros, then the longer is larger. */
function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+/, '');
  const b = y.replace(/^0+/, '');
  return a.length !== b.length ? a.length - b.length : compareCodeUnits(a, b);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
