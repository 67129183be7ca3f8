/** A transaction flow's steps as an ordered list (chain/stepFlow.ts): each with its state and detail. */
import type { FlowStep } from "../chain/stepFlow.ts";

function statusNote(status: FlowStep["status"], sayWhenSkipped: boolean): string {
  if (status === "active") return " (in progress)";
  if (status === "done") return " (done)";
  if (status === "skipped" && sayWhenSkipped) return " (skipped)";
  return "";
}

export function Steps({
  steps,
  label,
  sayWhenSkipped = true,
}: {
  steps: FlowStep[];
  label: string;
  /** Append " (skipped)" to a skipped step (its detail says why either way). */
  sayWhenSkipped?: boolean;
}) {
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
          {statusNote(s.status, sayWhenSkipped)}
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
