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
