/**
 * "Request review" on a rejected workout: a note for the operator (what they should know, 1-2,000 characters),
 * sent once. An earlier request (409 `review_exists`) reads as "already sent".
 */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ProblemError } from "../api/agentClient.ts";
import { REVIEW_NOTE_MAX, requestWorkoutReview } from "../api/reviewClient.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

export interface RequestReviewProps {
  workoutId: string;
}

export function RequestReview({ workoutId }: RequestReviewProps) {
  const noteId = useId();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const send = useMutation({ mutationFn: () => requestWorkoutReview(workoutId, note.trim()) });
  const alreadySent = send.error instanceof ProblemError && send.error.code === "review_exists";

  if (send.isSuccess || alreadySent) {
    return (
      <p role="status" data-testid="review-requested">
        {alreadySent
          ? "This workout was already sent for review."
          : "Review requested: an operator will look at it."}
      </p>
    );
  }
  if (!open) {
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)}>
        Request review
      </button>
    );
  }
  return (
    <form
      className="review-request"
      onSubmit={(event) => {
        event.preventDefault();
        send.mutate();
      }}
    >
      <label htmlFor={noteId}>What should the reviewer know?</label>
      <textarea
        id={noteId}
        value={note}
        maxLength={REVIEW_NOTE_MAX}
        rows={3}
        required
        onChange={(event) => setNote(event.target.value)}
      />
      <p className="hint">
        {note.length} / {REVIEW_NOTE_MAX}
      </p>
      <button type="submit" disabled={send.isPending || note.trim() === ""}>
        {send.isPending ? "Sending…" : "Send for review"}
      </button>{" "}
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorAlert error={send.error} />
    </form>
  );
}
