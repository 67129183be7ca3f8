/**
 * Workouts: drag-and-drop (or pick) FIT/GPX/TCX files with a result per file (which milestone it counts for,
 * or exactly why not, and the sport: named by the file, inferred from its data, or yours to declare), a manual
 * log form where the rules allow it, the workouts whose sport is still open, and a calendar heatmap.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useConnection } from "wagmi";
import { listCommitments, listWorkouts, logManualWorkout, uploadWorkoutFile } from "../api/agentClient.ts";
import { SPORTS, type Sport, type Workout } from "../api/schemas.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { VerdictReasons } from "../components/VerdictReasons.tsx";
import { SportField, WorkoutSport } from "../components/WorkoutSport.tsx";
import { describeError } from "../errors/describeError.ts";
import { heatmapDays } from "../format/heatmap.ts";
import { formatCountdown, formatDateTime, toDateTimeLocal } from "../format/time.ts";
import { useSession } from "../hooks/useSession.ts";
import { type CopyOutcome, OracleCopies, uploadToOtherOracles } from "../oracles/fanOutUpload.tsx";
import { StravaConnection } from "../providers/StravaConnection.tsx";
import { RequestReview } from "../review/RequestReview.tsx";

/** Most files handled per drop. */
export const MAX_FILES_PER_DROP = 20;
const ACCEPT = ".fit,.gpx,.tcx";

const REVIEW_STATUS_TEXT = {
  pending: "Sent for review: an operator will look at it.",
  accepted: "Accepted on review.",
  rejected: "Review done: the rejection stands.",
} as const;

type FileResult =
  | { name: string; status: "uploading" }
  | { name: string; status: "done"; workouts: Workout[]; copies?: CopyOutcome[] }
  | { name: string; status: "failed"; error: unknown; copies?: CopyOutcome[] };

function WorkoutVerdict({ w: received }: { w: Workout }) {
  // A declared sport answers the workout anew (where it counts now): show that one.
  const [w, setW] = useState(received);
  const counted = w.verdict.countsFor;
  return (
    <div data-testid="workout-verdict" data-status={w.verdict.status}>
      <p>
        <strong>{w.sport}</strong> on {formatDateTime(new Date(w.startTime))},{" "}
        {formatCountdown(w.durationSec * 1000)}
        {w.distanceM ? `, ${(w.distanceM / 1000).toFixed(2)} km` : ""}:{" "}
        {w.verdict.status === "accepted" ? "accepted" : "rejected"}.
      </p>
      {counted.length > 0 ? (
        <p>
          Counts for{" "}
          {counted.map((c) => `commitment #${c.commitmentId}, milestone ${c.milestoneIndex + 1}`).join("; ")}.
        </p>
      ) : w.verdict.status === "accepted" ? (
        <p>It does not count for any open milestone.</p>
      ) : null}
      <VerdictReasons reasons={w.verdict.reasons} />
      {w.review !== undefined ? (
        <p data-testid="review-status">{REVIEW_STATUS_TEXT[w.review.status]}</p>
      ) : w.verdict.status === "rejected" ? (
        <RequestReview workoutId={w.id} />
      ) : null}
      {(w.verdict.notCounted ?? []).map((n) => (
        <p key={`${n.commitmentId}-${n.milestoneIndex ?? ""}`}>
          Not counted for commitment #{n.commitmentId}: {n.reasons.map((r) => r.message).join("; ")}
        </p>
      ))}
      <WorkoutSport workout={w} onDeclared={setW} />
    </div>
  );
}

/** Workouts whose file names no sport and whose data did not tell: yours to say what they were. */
function OpenSports({ workouts }: { workouts: Workout[] }) {
  const open = workouts.filter((w) => w.verdict.sport?.declarable && w.verdict.sport.origin === "unknown");
  if (open.length === 0) return null;
  return (
    <section aria-labelledby="open-sports-h" data-testid="open-sports">
      <h2 id="open-sports-h">Workouts without a sport</h2>
      <p className="hint">
        These files do not say what sport they are and the data was not clear enough; they count for nothing
        until you say what they were.
      </p>
      <ul>
        {open.map((w) => (
          <li key={w.id} className="card">
            <WorkoutVerdict w={w} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function Upload() {
  const queryClient = useQueryClient();
  const inputId = useId();
  const [over, setOver] = useState(false);
  const [results, setResults] = useState<FileResult[]>([]);
  const [tooMany, setTooMany] = useState(false);
  const [sport, setSport] = useState<Sport | "">("");
  const { chainId } = useConnection();

  const handle = async (list: FileList | null) => {
    if (list === null || list.length === 0) return;
    const files = [...list].slice(0, MAX_FILES_PER_DROP);
    setTooMany(list.length > MAX_FILES_PER_DROP);
    setResults(files.map((f) => ({ name: f.name, status: "uploading" })));
    for (const [i, file] of files.entries()) {
      let result: FileResult;
      const chosen = sport === "" ? undefined : sport;
      // The other oracles of the deployment get the same file (oracles/fanOutUpload.tsx).
      const copying = uploadToOtherOracles(chainId, file, chosen);
      try {
        const workouts = await uploadWorkoutFile(file, chosen);
        result = { name: file.name, status: "done", workouts, copies: await copying };
      } catch (error) {
        result = { name: file.name, status: "failed", error, copies: await copying };
      }
      setResults((rs) => rs.map((r, j) => (j === i ? result : r)));
    }
    await queryClient.invalidateQueries({ queryKey: ["api"] });
  };

  return (
    <section aria-labelledby={`${inputId}-h`}>
      <h2 id={`${inputId}-h`}>Upload workout files</h2>
      <div className="field">
        <label htmlFor={`${inputId}-sport`}>Sport, for files that do not say</label>
        <select
          id={`${inputId}-sport`}
          aria-describedby={`${inputId}-sport-hint`}
          value={sport}
          onChange={(e) => setSport(e.target.value as Sport | "")}
        >
          <option value="">Let the agent tell from the data</option>
          {SPORTS.filter((s) => s !== "other").map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <p className="hint" id={`${inputId}-sport-hint`}>
          GPX files often, and TCX files for anything but runs and rides, name no sport. A sport the file
          names always stands; yours must fit the data.
        </p>
      </div>
      <label
        htmlFor={inputId}
        className={`dropzone${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void handle(e.dataTransfer.files);
        }}
      >
        <span className="drop-text">Drop .fit, .gpx or .tcx files here, or</span>
        <span className="button">Choose files</span>
        <input
          id={inputId}
          className="visually-hidden"
          type="file"
          multiple
          accept={ACCEPT}
          onChange={(e) => {
            void handle(e.target.files);
            e.target.value = "";
          }}
        />
      </label>
      {tooMany ? (
        <p className="alert warn">
          Only the first {MAX_FILES_PER_DROP} files were uploaded; drop the rest again.
        </p>
      ) : null}
      <ul aria-live="polite" data-testid="upload-results">
        {results.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: one row per dropped file, in order
          <li key={i} className="card">
            <h3>{r.name}</h3>
            {r.status === "uploading" ? <p role="status">Checking…</p> : null}
            {r.status === "failed" ? (
              <p className="field-error" data-testid="upload-error">
                {describeError(r.error).message}
              </p>
            ) : null}
            {r.status === "done" ? r.workouts.map((w) => <WorkoutVerdict key={w.id} w={w} />) : null}
            {r.status !== "uploading" ? <OracleCopies copies={r.copies} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A text input of the manual log: its id suffix, label, state and input attributes. */
type LogInput = { name: string; label: string; value: string; set: (value: string) => void } & Pick<
  React.InputHTMLAttributes<HTMLInputElement>,
  "type" | "inputMode"
>;

function ManualLog() {
  const uid = useId();
  const queryClient = useQueryClient();
  const [sport, setSport] = useState<Sport>("run");
  const [start, setStart] = useState(() => toDateTimeLocal(new Date(Date.now() - 3_600_000)));
  const [minutes, setMinutes] = useState("30");
  const [distanceKm, setDistanceKm] = useState("");
  const [notes, setNotes] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const log = useMutation({
    mutationFn: logManualWorkout,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["api"] }),
  });
  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    const durationMin = Number(minutes);
    const startMs = Date.parse(start);
    const distance = distanceKm.trim() === "" ? undefined : Number(distanceKm);
    if (!Number.isInteger(durationMin) || durationMin < 1 || durationMin > 1440) {
      setFieldError("Duration: a whole number of minutes from 1 to 1440.");
      return;
    }
    if (Number.isNaN(startMs)) {
      setFieldError("Start: choose a date and time.");
      return;
    }
    if (distance !== undefined && (!Number.isFinite(distance) || distance < 0 || distance > 1000)) {
      setFieldError("Distance: a number of kilometres from 0 to 1000.");
      return;
    }
    setFieldError(null);
    log.mutate({
      sport,
      startTime: new Date(startMs).toISOString(),
      durationMin,
      ...(distance !== undefined ? { distanceM: Math.round(distance * 1000) } : {}),
      ...(notes.trim() ? { notes: notes.trim().slice(0, 1000) } : {}),
    });
  };
  const inputs: LogInput[] = [
    { name: "start", label: "Started", value: start, set: setStart, type: "datetime-local" },
    { name: "min", label: "Duration (minutes)", value: minutes, set: setMinutes, inputMode: "numeric" },
    {
      name: "km",
      label: "Distance (km, optional)",
      value: distanceKm,
      set: setDistanceKm,
      inputMode: "decimal",
    },
  ];
  return (
    <form onSubmit={onSubmit} noValidate aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`}>Log a workout by hand</h2>
      <div className="row">
        <SportField id={`${uid}-sport`} label="Activity" value={sport} onChange={setSport} />
        {inputs.map(({ name, label, value, set, ...input }) => (
          <div className="field" key={name}>
            <label htmlFor={`${uid}-${name}`}>{label}</label>
            <input id={`${uid}-${name}`} {...input} value={value} onChange={(e) => set(e.target.value)} />
          </div>
        ))}
      </div>
      <div className="field">
        <label htmlFor={`${uid}-notes`}>Notes (optional)</label>
        <textarea
          id={`${uid}-notes`}
          maxLength={1000}
          rows={2}
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
        />
      </div>
      {fieldError ? (
        <p className="field-error" role="alert">
          {fieldError}
        </p>
      ) : null}
      <ErrorAlert error={log.error} />
      {log.data ? log.data.map((w) => <WorkoutVerdict key={w.id} w={w} />) : null}
      <button type="submit" disabled={log.isPending}>
        {log.isPending ? "Saving…" : "Log workout"}
      </button>
    </form>
  );
}

function Heatmap({ workouts }: { workouts: Workout[] }) {
  const accepted = workouts.filter((w) => w.verdict.status === "accepted");
  const days = heatmapDays(
    accepted.map((w) => new Date(w.startTime)),
    new Date(),
    12,
  );
  const total = days.reduce((n, d) => n + d.count, 0);
  return (
    <section aria-labelledby="heatmap-h">
      <h2 id="heatmap-h">Last 12 weeks</h2>
      <div className="heatmap" role="img" aria-label={`${total} accepted workouts in the last 12 weeks`}>
        {days.map((d) => (
          <span key={d.date} data-level={d.level} title={`${d.date}: ${d.count}`} />
        ))}
      </div>
      <p className="hint">Each square is a day, Monday at the top; darker means more workouts.</p>
    </section>
  );
}

export default function Workouts() {
  const { signedIn } = useSession();
  const workouts = useQuery({
    queryKey: ["api", "workouts"],
    enabled: signedIn,
    retry: false,
    queryFn: listWorkouts,
  });
  const commitments = useQuery({
    queryKey: ["api", "commitments"],
    enabled: signedIn,
    retry: false,
    queryFn: listCommitments,
  });
  const manualAllowed = (commitments.data ?? []).some((c) => {
    const rules = (c as { rules?: { evidence?: string } | null }).rules;
    return rules?.evidence === "any";
  });
  if (!signedIn) {
    return (
      <>
        <PageHeading>Workouts</PageHeading>
        <p className="alert info">Sign in (button at the top) to upload and see your workouts.</p>
      </>
    );
  }
  return (
    <>
      <PageHeading>Workouts</PageHeading>
      <StravaConnection />
      <Upload />
      {manualAllowed ? (
        <ManualLog />
      ) : (
        <p className="hint">
          Manual logs are possible only when a commitment’s rules accept any evidence; yours need device
          files.
        </p>
      )}
      {workouts.isSuccess ? <OpenSports workouts={workouts.data} /> : null}
      {workouts.isSuccess ? <Heatmap workouts={workouts.data} /> : null}
      <ErrorAlert error={workouts.error} />
    </>
  );
}
