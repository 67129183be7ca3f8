/** A progress ring for the current window: done of required workouts, with a text equivalent. */
export interface ProgressRingProps {
  done: number;
  required: number;
  label: string;
}

export function ProgressRing({ done, required, label }: ProgressRingProps) {
  const fraction = required <= 0 ? 1 : Math.min(1, done / required);
  const r = 22;
  const circumference = 2 * Math.PI * r;
  return (
    <div className="ring">
      <svg width="56" height="56" viewBox="0 0 56 56" aria-hidden="true">
        <circle cx="28" cy="28" r={r} fill="none" stroke="#e3e8e6" strokeWidth="6" />
        <circle
          cx="28"
          cy="28"
          r={r}
          fill="none"
          stroke={fraction >= 1 ? "#0b6e4f" : "#1d4ed8"}
          strokeWidth="6"
          strokeDasharray={`${circumference * fraction} ${circumference}`}
          transform="rotate(-90 28 28)"
          strokeLinecap="round"
        />
      </svg>
      <span>
        <strong>
          {done} of {required}
        </strong>{" "}
        {label}
      </span>
    </div>
  );
}
