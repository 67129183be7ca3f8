/**
 * The owner's "Cancel commitment" before its first window opens, with a confirmation step: the first button
 * only asks; "Yes, cancel and refund" sends `cancel(id)`; "Keep it" puts the question away (focus returns to
 * the first button).
 */
import { useEffect, useRef, useState } from "react";
import type { Address } from "viem";
import type { Deployment } from "../chain/deployments.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { useCancelCommitment } from "./useVaultActions.ts";

export function CancelCommitment({
  deployment,
  account,
  commitmentId,
  amount,
  formatted,
  closed,
}: {
  deployment: Deployment;
  account: Address | undefined;
  commitmentId: bigint;
  amount: bigint;
  /** The stake, formatted with its token. */
  formatted: string;
  /** Already closed (cancelled, or settled): nothing to offer unless this component just cancelled it. */
  closed: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const cancel = useCancelCommitment(deployment, account);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) askRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  const id = commitmentId.toString();
  if (cancel.isSuccess) {
    return (
      <div className="alert ok" role="status" data-testid="cancel-done">
        <p>
          Commitment #{id} is cancelled: {formatted} is back in your wallet.
        </p>
      </div>
    );
  }
  if (closed) return null;
  return (
    <div className="cancel" data-testid="cancel-commitment">
      {asking ? (
        <div className="alert warn" data-testid="cancel-confirm">
          <p>
            Cancel commitment #{id}? Nothing has started yet, so the whole stake ({formatted}) comes back to
            you and the commitment ends.
          </p>
          <p className="choices">
            <button
              ref={confirmRef}
              type="button"
              onClick={() => cancel.mutate({ commitmentId, amount })}
              disabled={cancel.isPending}
            >
              Yes, cancel and refund {formatted}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => setAsking(false)}
              disabled={cancel.isPending}
            >
              Keep it
            </button>
          </p>
        </div>
      ) : (
        <button ref={askRef} type="button" className="secondary" onClick={() => setAsking(true)}>
          Cancel commitment #{id}
        </button>
      )}
      <div aria-live="polite">{cancel.isPending ? <p role="status">Cancelling…</p> : null}</div>
      <ErrorAlert error={cancel.error} />
    </div>
  );
}
