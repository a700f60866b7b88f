// One ordered teardown per test file. Helpers register what they open with `atTeardown`; after the
// file's last test the cleanups run last-registered first, so what was built on top goes first
// (HTTP servers before the job queue they use, the queue before the database pools).
//
// AVA 6+ waits for a test file's worker to end on its own; one handle left open (a socket, a timer)
// used to hold the whole run for AVA's inactivity timeout and fail it with every test passed. After
// the cleanups, the file gets a few seconds to drain; if it still has not ended, the open handles
// are printed (so the leak can be found) with the file's name, and the worker ends.
import test from 'ava';

type Cleanup = () => unknown;
const cleanups: { label: string; fn: Cleanup }[] = [];

/** Registers a cleanup to run after the test file (last registered, first run). */
export function atTeardown(label: string, fn: Cleanup): void {
  cleanups.push({ label, fn });
}

export const LEAK_MARK = 'TEARDOWN-LEAK';

test.after.always(async () => {
  for (const { label, fn } of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (error) {
      process.stderr.write(`teardown (${label}) failed: ${String(error)}\n`);
    }
  }
  const drain = setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    process.stderr.write(`${LEAK_MARK} ${test.meta.file}: still running 10 s after teardown; open: ${open.join(', ') || '(timers only)'}\n`);
    process.exit(0);
  }, 10_000);
  drain.unref();
});
