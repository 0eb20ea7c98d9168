/**
 * What a command-line mistake is, in the daemon's words: `node:util`'s `parseArgs` names a
 * one-letter flag as `--f <value>` and says it in its own phrasing; operators type `-f`.
 *
 * @module
 */

/** A flag as typed: `-f` for one letter, `--conf` for a word. */
function asTyped(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/**
 * The message for an error thrown by `parseArgs` (by its `code`), or the error's own message
 * for anything else.
 *
 * @example
 * ```ts
 * flagErrorMessage(Object.assign(new TypeError("Option '--f <value>' argument missing"), {
 *   code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
 * }));
 * // "option -f needs a value"
 * ```
 */
export function flagErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const option = /Option '(?:-\w, )?--([^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    if (message.includes("argument missing")) return `option ${asTyped(option)} needs a value`;
    if (message.includes("does not take an argument")) {
      return `option ${asTyped(option)} takes no value`;
    }
  }
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flag = /Unknown option '([^']*)'/.exec(message)?.[1];
    if (flag !== undefined) return `unknown option ${flag}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /Unexpected argument '([^']*)'/.exec(message)?.[1];
    if (arg !== undefined) return `unexpected argument "${arg}"`;
  }
  return message;
}
