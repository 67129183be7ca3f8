/**
 * The operator's review queue (`#/review`): the pending reviews, oldest first, each with its workout, the
 * reasons it was rejected and the owner's note; accept (the workout counts) or reject, with a note for the
 * audit log. Anyone who is not a review operator is told so (the agent answers 403 `not_operator`).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ProblemError } from "../api/agentClient.ts";
import {
  decideReview,
  listPendingReviews,
  type OperatorReview,
  REVIEW_NOTE_MAX,
} from "../api/reviewClient.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { VerdictReasons } from "../components/VerdictReasons.tsx";
import { formatCountdown, formatDateTime } from "../format/time.ts";

const QUERY_KEY = ["reviews", "pending"] as const;

function ReviewItem({ review }: { review: OperatorReview }) {
  const noteId = useId();
  const queryClient = useQueryClient();
  const [note, setNote] = useState("");
  const decide = useMutation({
    mutationFn: (decision: "accept" | "reject") => decideReview(review.id, decision, note.trim()),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: QUERY_KEY });
      void queryClient.invalidateQueries({ queryKey: ["api"] });
    },
  });
  const w = review.workout;
  return (
    <li className="card" data-testid="review-item">
      <p>
        <strong>{w?.sport ?? "workout"}</strong>
        {w !== null
          ? ` on ${formatDateTime(new Date(w.startTime))}, ${formatCountdown(w.durationSec * 1000)}`
          : ""}
        {w?.distanceM ? `, ${(w.distanceM / 1000).toFixed(2)} km` : ""} — by <code>{review.owner}</code>,
        asked {formatDateTime(new Date(review.requestedAt))}
      </p>
      {w !== null ? <VerdictReasons reasons={w.verdict.reasons} /> : null}
      <blockquote>{review.note}</blockquote>
      <label htmlFor={noteId}>Decision note (kept in the audit log)</label>
      <textarea
        id={noteId}
        value={note}
        maxLength={REVIEW_NOTE_MAX}
        rows={2}
        onChange={(event) => setNote(event.target.value)}
      />
      <p>
        <button type="button" disabled={decide.isPending} onClick={() => decide.mutate("accept")}>
          Accept
        </button>{" "}
        <button
          type="button"
          className="secondary"
          disabled={decide.isPending}
          onClick={() => decide.mutate("reject")}
        >
          Reject
        </button>
      </p>
      <ErrorAlert error={decide.error} />
    </li>
  );
}

export default function Review() {
  const reviews = useQuery({ queryKey: QUERY_KEY, queryFn: listPendingReviews, retry: false });
  const notOperator = reviews.error instanceof ProblemError && reviews.error.code === "not_operator";
  return (
    <>
      <PageHeading>Workout reviews</PageHeading>
      {notOperator ? (
        <p role="status">Only review operators can see this page; your address is not one of them.</p>
      ) : reviews.isPending ? (
        <p role="status">Loading the review queue…</p>
      ) : reviews.error ? (
        <ErrorAlert error={reviews.error} />
      ) : reviews.data.length === 0 ? (
        <p role="status">No review is waiting.</p>
      ) : (
        <ul className="reviews">
          {reviews.data.map((review) => (
            <ReviewItem key={review.id} review={review} />
          ))}
        </ul>
      )}
    </>
  );
}
