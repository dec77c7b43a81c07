/**
 * Waits for `work` to settle, but no longer than `boundMs`. Resolves `true` when it settled in time
 * (either way: its failure is the owner's to report), `false` when the bound passed first. The
 * timer is cleared as soon as either happens, so a bounded wait never keeps the process alive.
 */
export function settlesWithin(work: Promise<unknown>, boundMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), boundMs);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(settled, settled);
  });
}
