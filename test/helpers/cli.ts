// Runs the real `edify` binary (bin/edify.js) on Node 24 against the test database.
import { spawn } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/edify.js');

export type CliResult = { code: number; stdout: string; stderr: string; json: any };

export function edify(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? 1, stdout, stderr, json });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Starts `edify` as a long-running process (serve), collecting everything it prints. */
export function spawnEdify(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** Resolves with `match`'s first non-undefined answer on the output so far, checked again on
   * every chunk the process prints (no polling); rejects if the process exits first or after `ms`. */
  const waitFor = <T>(match: (output: string) => T | undefined, ms = 90_000) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = match(out);
        if (found === undefined) return;
        stop();
        resolve(found);
      };
      const exit = () => {
        stop();
        reject(new Error(`the process exited:\n${out}`));
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`gave up waiting after ${ms} ms:\n${out}`));
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        child.off('exit', exit);
      };
      // Listeners added after the collecting ones above, so `out` already holds the chunk.
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', exit);
      check();
    });
  /** The port `edify serve` listens on, once it has said so and is ready ("Press Ctrl-C"). */
  const listening = () =>
    waitFor((output) => {
      const match = /listening on http:\/\/[\d.]+:(\d+)/.exec(output);
      return match?.[1] && output.includes('Press Ctrl-C') ? Number(match[1]) : undefined;
    });
  return { child, exited, output: () => out, waitFor, listening };
}
