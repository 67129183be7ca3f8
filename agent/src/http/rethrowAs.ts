/**
 * A route sometimes answers a domain error in its own words (an unreadable cursor is a bad query parameter, a
 * reused idempotency key a bad header): `rethrowAs` runs the step and throws that one error, matched by class
 * and code, as the route's error with the original as its cause. Every other error passes through unchanged.
 */
import type { AgentError } from "../errors.ts";

export interface RethrowAsParameters<E extends AgentError> {
  /** The domain error's class and code to translate. */
  errorClass: abstract new (
    ...args: never[]
  ) => E;
  code: string;
  /** The error to throw instead (set `cause` to the original). */
  as: (cause: E) => Error;
}

export async function rethrowAs<T, E extends AgentError>(
  run: () => Promise<T>,
  { errorClass, code, as }: RethrowAsParameters<E>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof errorClass && error.code === code) throw as(error);
    throw error;
  }
}
