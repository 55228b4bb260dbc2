/**
 * What the Yosys benchmarks share at start-up: their command-line options
 * (`--name value` and bare flags) and the check that Yosys is on the PATH.
 */
import { haveYosys } from '../generator/synth/yosys.js';

export interface BenchArgs {
  /** The value after `--name`, if given. */
  readonly opt: (name: string) => string | undefined;
  /** Whether the bare flag `--name` is given. */
  readonly flag: (name: string) => boolean;
}

export function benchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  return {
    opt: (name) => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : undefined;
    },
    flag: (name) => argv.includes(name),
  };
}

/** Exits 2 with a message when Yosys is missing (the benchmarks cannot run without it). */
export function requireYosys(): void {
  if (haveYosys()) return;
  console.error('yosys not found on PATH');
  process.exit(2);
}
