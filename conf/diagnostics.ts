/**
 * The diagnostics of one parse: errors and warnings at their positions, as the lexer and the
 * parsers of both configuration languages (mcast-proxy.conf, mrouted.conf) report them.
 *
 * @module
 */

import type { ConfigDiagnostic, Position } from "./config.ts";
import type { Token } from "./lexer.ts";
import type { ValueResult } from "./values.ts";

/** A parse's errors and warnings, in the order reported; the lexer writes into {@link list}. */
export class Diagnostics {
  /** Every diagnostic so far, in the order reported. */
  readonly list: ConfigDiagnostic[] = [];

  /** Reports an error at a token (unless the lexer already did) or at a position. */
  error(at: Token | Position, message: string): void {
    if ("kind" in at && at.kind === "invalid") return;
    const position = "kind" in at ? at.position : at;
    this.list.push({ position, message, severity: "error" });
  }

  /** Reports a warning. */
  warn(position: Position, message: string): void {
    this.list.push({ position, message, severity: "warning" });
  }

  /**
   * Reports what a value parser found wrong with token `t` (errors at the token, a warning at
   * its position) and returns the value, or `undefined` when there were errors.
   */
  take<T>(t: Token, result: ValueResult<T>): T | undefined {
    if (!result.ok) {
      for (const e of result.errors) this.error(t, e);
      return undefined;
    }
    if (result.warning !== undefined) this.warn(t.position, result.warning);
    return result.value;
  }

  /**
   * Every diagnostic, sorted by file (`fileOrder`: the files' order; one file by default),
   * line and column; messages at one place keep the order they were reported in.
   */
  sorted(fileOrder: (file: string) => number = () => 0): ConfigDiagnostic[] {
    const order = (d: ConfigDiagnostic) => fileOrder(d.position.file);
    return this.list
      .map((d, i) => ({ d, i }))
      .sort((x, y) =>
        order(x.d) - order(y.d) || x.d.position.line - y.d.position.line ||
        x.d.position.col - y.d.position.col || x.i - y.i
      )
      .map(({ d }) => d);
  }
}
