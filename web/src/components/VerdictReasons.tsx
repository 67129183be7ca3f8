/** Why a workout's verdict is what it is: each reason's words with its code (nothing when there is none). */
import type { Reason } from "../api/schemas.ts";

export function VerdictReasons({ reasons }: { reasons: readonly Reason[] }) {
  if (reasons.length === 0) return null;
  return (
    <ul>
      {reasons.map((r) => (
        <li key={r.code}>
          {r.message} <span className="hint">({r.code})</span>
        </li>
      ))}
    </ul>
  );
}
