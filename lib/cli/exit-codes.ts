/** The CLI's exit codes: what a script calling it branches on. */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** Redis could not be reached, a command failed, or part of what was asked could not be done. */
  failure: 1,
  /** The command line was wrong: unknown command or flag, missing or invalid value. */
  usage: 2,
} as const;

/** One of `ExitCode`'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
