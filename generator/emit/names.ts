/**
 * Verilog-safe identifiers and file names for layers and models: any layer
 * name (reserved words, spaces, quotes, slashes, dots, non-ASCII) becomes a
 * unique identifier that starts with a letter.
 */

/** Keeps [A-Za-z0-9_], maps every other character to '_', collapses runs, trims to `max`. */
export function sanitize(name: string, max = 32): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return s.slice(0, max).replace(/_$/, '');
}

/** Identifier of layer `index`: unique by its index prefix, readable by its name. */
export function layerIdent(index: number, name: string): string {
  const s = sanitize(name);
  return s ? `L${index}_${s}` : `L${index}`;
}

/** The top module's name for a model. */
export function topName(modelName: string): string {
  const s = sanitize(modelName, 40).toLowerCase();
  return `gr_top_${s || 'model'}`;
}
