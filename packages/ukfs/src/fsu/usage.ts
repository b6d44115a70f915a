/** What main.ts needs before any command module loads: the usage error and the --server placeholder. */

/** A command line fsu cannot run (exit 2, one line and a hint). */
export class UsageError extends Error {}

/** The placeholder image argument when `--server` is used. */
export const SERVER_IMAGE = '@server';

/** The hint after a usage error: where the help for `fsu [name]` is. */
export const hint = (name?: string): string => `Try 'fsu ${name ? `${name} ` : ''}--help' for more information.`;
