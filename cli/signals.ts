// Stopping a long-running command (serve, worker) on Ctrl-C or a supervisor's SIGTERM.
//
// Install first, announce second: until a process has a SIGINT/SIGTERM listener, the signal's
// default action kills it at once (exit by signal, nothing flushed, running jobs cut off). A
// supervisor, or a test, that sends SIGTERM as soon as it reads "Press Ctrl-C" must meet the
// handler, so a command calls untilSignal before it prints that, and awaits the promise after.

/** Resolves once `stop` has run after the first SIGINT or SIGTERM (or a process event such as
 * `disconnect`); later signals are ignored while it runs. The handlers are installed at once. */
export function untilSignal(stop: (signal: string) => Promise<unknown>, events: string[] = []): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const once = (signal: string) => {
      if (stopping) return;
      stopping = true;
      stop(signal).then(() => resolve());
    };
    process.once('SIGINT', () => once('SIGINT'));
    process.once('SIGTERM', () => once('SIGTERM'));
    for (const event of events) process.once(event as 'disconnect', () => once(event));
  });
}
