/**
 * Running Yosys on Verilog sources: a `.ys` script written beside the design,
 * the full log captured to a file, `stat -json` parsed into cell counts.
 * Problems a user can fix (Yosys missing, a synthesis error, a timeout) are
 * GenRtlErrors naming the log file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GenRtlError } from '../util/errors.js';
import type { Cells } from './cells.js';

export interface YosysJob {
  /** Working directory: source paths and `$readmemh` files resolve against it. */
  readonly cwd: string;
  /** Where the script, the log and the statistics go (`<name>.ys`, `<name>.log`, `<name>.stat.json`). */
  readonly outDir: string;
  /** File stem of the script, log and statistics; default "synth". */
  readonly name?: string;
  readonly sources: readonly string[];
  readonly top: string;
  /** The synthesis command without `-top`, e.g. "synth_xilinx -flatten -family xc7". */
  readonly command: string;
  /** Parameter overrides of the top module (chparam), e.g. to synthesize one core alone. */
  readonly params?: readonly { readonly name: string; readonly value: string }[];
  /** Kill Yosys after this many seconds (default 3600). */
  readonly timeoutSeconds?: number;
  /** Files to write after `stat`: the netlist as Yosys JSON (nextpnr's input) or as Verilog (`write_verilog -noattr`). */
  readonly write?: { readonly json?: string; readonly verilog?: string };
}

export interface YosysResult {
  readonly cells: Cells;
  readonly script: string;
  readonly log: string;
  readonly seconds: number;
}

export const DEFAULT_TIMEOUT_S = 3600;

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** `yosys -V` ("Yosys 0.23 (git sha1 …)"), or null when Yosys is not on PATH. */
export function yosysVersion(): string | null {
  const r = spawnSync('yosys', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function haveYosys(): boolean {
  return yosysVersion() !== null;
}

/** The script: read the sources, set parameters, synthesize, write `stat -json` (and the netlist when asked). */
export function yosysScript(job: YosysJob, statFile: string): string {
  if (!IDENT.test(job.top)) throw new GenRtlError('yosys', `illegal top module name "${job.top}"`);
  const quote = (p: string): string => (/^[\w@%+=:,./-]+$/.test(p) ? p : `"${p.replace(/(["\\])/g, '\\$1')}"`);
  const lines = [`read_verilog -sv ${job.sources.map(quote).join(' ')}`];
  for (const p of job.params ?? []) {
    if (!IDENT.test(p.name)) throw new GenRtlError('yosys', `illegal parameter name "${p.name}"`);
    lines.push(`chparam -set ${p.name} ${p.value} ${job.top}`);
  }
  lines.push(`${job.command} -top ${job.top}`, `tee -q -o ${quote(statFile)} stat -json`);
  if (job.write?.json !== undefined) lines.push(`write_json ${quote(job.write.json)}`);
  if (job.write?.verilog !== undefined) lines.push(`write_verilog -noattr ${quote(job.write.verilog)}`);
  lines.push('');
  return lines.join('\n');
}

/** Cell counts of `top` in a `stat -json` file (Yosys 0.23 layout: modules → "\\top" → num_cells_by_type). */
export function parseStatJson(text: string, top: string): Cells {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GenRtlError('yosys', `stat -json output is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const modules = (json as { modules?: Record<string, { num_cells_by_type?: Record<string, number> }> }).modules ?? {};
  const mod = modules[`\\${top}`] ?? (Object.keys(modules).length === 1 ? Object.values(modules)[0] : undefined);
  if (!mod) throw new GenRtlError('yosys', `stat -json has no module ${top} (modules: ${Object.keys(modules).join(', ') || 'none'})`);
  return new Map(Object.entries(mod.num_cells_by_type ?? {}).map(([k, v]) => [k.replace(/^\\/, ''), v]));
}

/** The first ERROR line of a Yosys log (else its last non-empty line), for a one-line message. */
export function firstYosysError(log: string): string {
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return '(no log)';
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.find((l) => /^ERROR\b/.test(l)) ?? lines[lines.length - 1] ?? '(empty log)';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Runs Yosys on a script written to `outDir` (cwd `job.cwd`), killed after the
 * timeout; resolves to `stat`'s cells. The child stays in our process group,
 * so a Ctrl-C reaches it.
 */
export function runYosys(job: YosysJob): Promise<YosysResult> {
  const stem = job.name ?? 'synth';
  const script = join(job.outDir, `${stem}.ys`);
  const log = join(job.outDir, `${stem}.log`);
  const stat = join(job.outDir, `${stem}.stat.json`);
  const seconds = job.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
  if (!(Number.isFinite(seconds) && seconds > 0)) throw new GenRtlError('--timeout', `must be a positive number of seconds, got ${seconds}`);
  writeFileSync(script, yosysScript(job, stat));
  rmSync(stat, { force: true });
  rmSync(log, { force: true });
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn('yosys', ['-q', '-l', log, script], { cwd: job.cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: seconds * 1000, killSignal: 'SIGKILL' });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    p.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new GenRtlError('yosys', 'not found on PATH (install it: scripts/install-tools.sh, or the Debian package yosys)'));
      else reject(new GenRtlError('yosys', `cannot run (${e.code ?? e.message})`));
    });
    p.on('close', (code, signal) => {
      const elapsed = (Date.now() - start) / 1000;
      if (signal !== null) {
        const why = elapsed >= seconds ? `timed out after ${seconds} s` : `killed by ${signal}`;
        return reject(new GenRtlError('yosys', `${job.top}: synthesis ${why} (log: ${log})`));
      }
      if (code !== 0) {
        const first = stderr.split('\n').find((l) => /ERROR/.test(l))?.trim() ?? firstYosysError(log);
        return reject(new GenRtlError('yosys', `${job.top}: synthesis failed (exit ${code}): ${first} (log: ${log})`));
      }
      let text: string;
      try {
        text = readFileSync(stat, 'utf8');
      } catch {
        return reject(new GenRtlError('yosys', `${job.top}: no statistics written (log: ${log})`));
      }
      try {
        resolve({ cells: parseStatJson(text, job.top), script, log, seconds: elapsed });
      } catch (e) {
        reject(e);
      }
    });
  });
}
