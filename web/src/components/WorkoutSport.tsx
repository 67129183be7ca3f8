/**
 * A workout's sport and where it comes from: named by the file, inferred by the agent from the data (and from
 * what), declared by you, or still open. When the file left the sport open, a small form lets you say what the
 * workout was; the agent accepts it only when the data fits (a 35 km/h "run" is refused) and answers the
 * workout as it now counts.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { declareWorkoutSport } from "../api/agentClient.ts";
import { SPORTS, type Sport, type SportVerdict, type Workout } from "../api/schemas.ts";
import { ErrorAlert } from "./ErrorAlert.tsx";

export interface SportOriginText {
  /** One line: the sport and its origin. */
  summary: string;
  /** What the inference read, or why it could not tell. */
  detail?: string;
}

function isSport(value: string): value is Sport {
  return (SPORTS as readonly string[]).includes(value);
}

/** The agent's message without its machine prefix: "sport inferred: run — X (confidence 0.75)" → "X". */
function reasonOf(message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const inferred = /^sport inferred: \w+ — (.*) \(confidence [\d.]+\)$/.exec(message);
  if (inferred?.[1] !== undefined) return inferred[1];
  const not = /^sport not inferred(?: \(confidence [\d.]+, needs [\d.]+\))?: (.*)$/.exec(message);
  return not?.[1] ?? message;
}

/** Words for people about a workout's sport (`verdict.sport`; absent from older agents). */
export function sportOriginText(sport: string, verdict: SportVerdict | undefined): SportOriginText {
  if (verdict === undefined || verdict.origin === "named") return { summary: `Sport: ${sport}.` };
  const inferred = verdict.inferred;
  const confidence = inferred !== undefined ? ` (confidence ${Math.round(inferred.confidence * 100)} %)` : "";
  switch (verdict.origin) {
    case "inferred":
      return {
        summary: `Sport: ${sport}, inferred from the data — the file does not say.`,
        detail: `Read from: ${reasonOf(verdict.message) ?? inferred?.basis.join(", ") ?? "the samples"}${confidence}.`,
      };
    case "declared":
      return {
        summary: `Sport: ${sport}, as you declared it.`,
        ...(inferred !== undefined && inferred.candidate !== "other" && inferred.candidate !== sport
          ? { detail: `The data alone suggested ${inferred.candidate}${confidence}.` }
          : {}),
      };
    case "unknown": {
      const why = reasonOf(verdict.message);
      return {
        summary: "Sport: not recognised — the file does not say, and the data was not clear enough.",
        ...(why !== undefined ? { detail: `Why: ${why}.` } : {}),
      };
    }
  }
}

/** A labelled choice of one of the app's sports (by their codes). */
export function SportField({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: Sport;
  onChange: (sport: Sport) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e) => {
          if (isSport(e.target.value)) onChange(e.target.value);
        }}
      >
        {SPORTS.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </div>
  );
}

export interface WorkoutSportProps {
  workout: Workout;
  /** Called with the workout as the agent answers it after a declaration. */
  onDeclared?: (workout: Workout) => void;
}

export function WorkoutSport({ workout, onDeclared }: WorkoutSportProps) {
  const uid = useId();
  const queryClient = useQueryClient();
  const verdict = workout.verdict.sport;
  const suggested = verdict?.inferred?.candidate;
  const initial: Sport =
    isSport(workout.sport) && workout.sport !== "other"
      ? workout.sport
      : suggested !== undefined && isSport(suggested) && suggested !== "other"
        ? suggested
        : "run";
  const [choice, setChoice] = useState<Sport>(initial);
  const declare = useMutation({
    mutationFn: (sport: Sport) => declareWorkoutSport(workout.id, sport),
    onSuccess: async (updated) => {
      onDeclared?.(updated);
      await queryClient.invalidateQueries({ queryKey: ["api"] });
    },
  });
  const text = sportOriginText(workout.sport, verdict);
  return (
    <div data-testid="workout-sport" data-origin={verdict?.origin ?? "named"}>
      <p>{text.summary}</p>
      {text.detail !== undefined ? <p className="hint">{text.detail}</p> : null}
      {verdict?.declarable ? (
        <form
          aria-label="Declare the sport"
          onSubmit={(e) => {
            e.preventDefault();
            declare.mutate(choice);
          }}
        >
          <div className="row">
            <SportField id={`${uid}-sport`} label="What was it?" value={choice} onChange={setChoice} />
            <button type="submit" disabled={declare.isPending}>
              {declare.isPending ? "Saving…" : "Save sport"}
            </button>
          </div>
          <ErrorAlert error={declare.error} />
          {declare.isSuccess ? (
            <p role="status" data-testid="sport-saved">
              Saved: {declare.data.sport}.
            </p>
          ) : null}
        </form>
      ) : null}
    </div>
  );
}
