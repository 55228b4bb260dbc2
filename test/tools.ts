/**
 * Shared by the test suites that need system tools or run the CLI in process: CI detection,
 * "a tool is missing" handling, and an in-process `gen-rtl` call that captures its output.
 */
import { runCli } from '../generator/cli/cli.js';
import type { CliIo } from '../generator/cli/io.js';

/** True under CI (the CI environment variable set to anything but empty, 0 or false). */
export const IN_CI = !['', '0', 'false', undefined].includes(process.env['CI']);

/**
 * A tool a test needs: true when present; when missing, a notice saying which checks are
 * skipped locally, and a failure under CI, which installs every tool (scripts/install-tools.sh).
 */
export function need(tool: string, present: boolean, checks: string): boolean {
  if (present) return true;
  if (IN_CI) throw new Error(`${tool} not found: CI installs it (scripts/install-tools.sh)`);
  console.warn(`NOTICE: ${tool} not found: skipping ${checks}`);
  return false;
}

/** `gen-rtl ARGS…` run in this process: its exit code and everything it printed. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTty: false };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
