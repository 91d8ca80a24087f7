import { InputError } from '../engine/commands';
import { SHARED_KEYS } from './constants';
import { EXIT, UserError } from '../errors';

// Errors a node reports, each with a catalog key, its parameters and an English text for where no
// catalog is loaded (the test helper's RED._ returns the key).

export class NodeError extends UserError {
  constructor(
    /** a full catalog key ("<namespace>:<type>.errors.x") or one in the node's own namespace */
    readonly key: string,
    readonly params: Record<string, string | number>,
    english: string,
  ) {
    super(english, EXIT.unavailable);
    this.name = 'NodeError';
  }
}

/** The engine is not running (starting failed, crashed, or stopped): the command was not sent. */
export const notRunning = () => new NodeError(`${SHARED_KEYS}.errors.not-running`, {}, 'the engine is not running: the command was not sent');

/** The engine's settings are invalid; nothing was sent. */
export const misconfigured = (problem: string) =>
  new NodeError(`${SHARED_KEYS}.errors.misconfigured`, { problem }, `the loopstation engine's settings are invalid (${problem}): the command was not sent`);

/** A node's own settings are invalid (found at deploy). */
export class ConfigError extends NodeError {
  constructor(field: string, problem: string) {
    super(`${SHARED_KEYS}.errors.bad-setting`, { field, problem }, `setting ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** How a thrown value is reported: a catalog key, its parameters and the English fallback. */
export function describeError(err: unknown): NodeError {
  if (err instanceof NodeError) return err;
  if (err instanceof InputError) {
    return new NodeError(`${SHARED_KEYS}.errors.bad-msg`, { field: err.field, problem: err.problem }, err.message);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new NodeError(`${SHARED_KEYS}.errors.failed`, { message }, message);
}

/** The short status text for a failure: the field of a bad msg, or the first words of the message. */
export function statusOf(err: NodeError): { key: string; params: Record<string, string | number>; english: string } {
  if (err.params.field !== undefined) {
    return { key: `${SHARED_KEYS}.status.bad-field`, params: { field: err.params.field }, english: `bad ${err.params.field}` };
  }
  const short = err.message.length > 32 ? `${err.message.slice(0, 31)}…` : err.message;
  return { key: `${SHARED_KEYS}.status.error`, params: { message: short }, english: short };
}

