/** A labelled form field with its hint and error, and a transaction's steps: the Challenges forms' building blocks. */
import type { JoinStep } from "./challengeLogic.ts";

export interface FieldProps {
  id: string;
  label: string;
  error: string | undefined;
  hint?: string;
  children: (aria: {
    id: string;
    "aria-invalid": boolean;
    "aria-describedby": string | undefined;
  }) => React.ReactNode;
}

export function Field({ id, label, error, hint, children }: FieldProps) {
  const described = [hint ? `${id}-hint` : undefined, error ? `${id}-error` : undefined]
    .filter(Boolean)
    .join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": error !== undefined, "aria-describedby": described || undefined })}
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function Steps({ steps, label }: { steps: JoinStep[]; label: string }) {
  return (
    <ol className="steps" aria-label={label}>
      {steps.map((s) => (
        <li
          key={s.id}
          className={s.status === "skipped" ? "done" : s.status}
          data-step={s.id}
          data-status={s.status}
        >
          {s.label}
          {s.status === "active"
            ? " (in progress)"
            : s.status === "done"
              ? " (done)"
              : s.status === "skipped"
                ? " (skipped)"
                : ""}
          {s.detail ? (
            <>
              {" — "}
              <span className="mono">{s.detail}</span>
            </>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
