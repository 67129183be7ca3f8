/** An error in words (see describeError), announced to screen readers. */
import { describeError } from "../errors/describeError.ts";

export interface ErrorAlertProps {
  error: unknown;
  /** What the person can do next, e.g. a retry button. */
  children?: React.ReactNode;
}

export function ErrorAlert({ error, children }: ErrorAlertProps) {
  if (error === null || error === undefined) return null;
  const d = describeError(error);
  return (
    <div className="alert error" role="alert" data-error-kind={d.kind}>
      <p>
        <strong>{d.title}.</strong> {d.message}
      </p>
      {children}
    </div>
  );
}

/** The errors of a panel's several actions, each in its own alert, in the order given (nothing for those unset). */
export function ErrorAlerts({ errors }: { errors: readonly unknown[] }) {
  return (
    <>
      {errors.map((error, position) => (
        // The list is fixed per call site, so a position identifies each action's alert.
        // biome-ignore lint/suspicious/noArrayIndexKey: one fixed slot per action
        <ErrorAlert key={position} error={error} />
      ))}
    </>
  );
}
