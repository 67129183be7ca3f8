/** A transaction's steps, as the Challenges forms show them (the labelled field is components/Field.tsx). */
import type { JoinStep } from "./challengeLogic.ts";

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
