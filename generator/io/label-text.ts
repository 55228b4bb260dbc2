/**
 * Text label files for a folder of PNGs: one `FILE,LABEL` line per image (CSV
 * without quoting), or `FILE LABEL` separated by blanks, as
 * models/samples/labels.txt is. Fields after the label (a class name, say) are
 * ignored; so are blank lines, lines starting with `#`, and a first line whose
 * label field is not a number (a CSV header such as `filename,label`). A line
 * holding a comma is split at commas, so names with blanks need the CSV form.
 */
import { oneLine } from '../format/container-layout.js';
import { GenRtlError } from '../util/errors.js';

/** One labelled file; `line` (1-based) is where it is, for errors. */
export interface NamedLabel {
  readonly file: string;
  readonly label: number;
  readonly line: number;
}

const MAX_LABEL = 65535;

/** Whether the bytes can be a text label file (no NUL, valid UTF-8), checked before parsing. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function parseLabelText(bytes: Uint8Array, where: string): NamedLabel[] {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  const entries: NamedLabel[] = [];
  const seen = new Map<string, number>();
  let first = true;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    const fields = (s.includes(',') ? s.split(',') : s.split(/\s+/)).map((f) => f.trim());
    const isFirst = first;
    first = false;
    if (fields.length < 2 || fields[0] === '') {
      throw new GenRtlError(where, `line ${line}: expected "FILE,LABEL" or "FILE LABEL", got "${clip(s)}"`);
    }
    const [file, field] = fields as [string, string];
    if (!/^\d+$/.test(field)) {
      if (isFirst) return; // a header line
      throw new GenRtlError(where, `line ${line}: label "${clip(field)}" of ${clip(file)} is not a non-negative integer`);
    }
    const label = Number(field);
    if (label > MAX_LABEL) throw new GenRtlError(where, `line ${line}: label ${clip(field)} of ${clip(file)} is over ${MAX_LABEL}`);
    const before = seen.get(file);
    if (before !== undefined) throw new GenRtlError(where, `line ${line}: ${clip(file)} is labelled twice (also on line ${before})`);
    seen.set(file, line);
    entries.push({ file, label, line });
  });
  if (entries.length === 0) throw new GenRtlError(where, 'holds no labels (expected "FILE,LABEL" lines)');
  return entries;
}

/** Text from the file, for a message: control characters (a lone \r, say) escaped, long text cut. */
function clip(s: string): string {
  return oneLine(s, 60);
}
