/** What the new-commitment page shows once the commitment is confirmed on chain. */
import type { Hex } from "viem";
import type { FlowStep } from "../chain/stepFlow.ts";
import { PageHeading } from "../components/PageHeading.tsx";
import { Steps } from "../components/Steps.tsx";

export function CommitmentCreated({
  commitmentId,
  txHash,
  steps,
  onCreateAnother,
}: {
  commitmentId: bigint;
  txHash: Hex;
  steps: FlowStep[];
  onCreateAnother: () => void;
}) {
  return (
    <>
      <PageHeading>Commitment created</PageHeading>
      <div className="alert ok" role="status">
        <p>
          <strong>Confirmed.</strong> Commitment #{commitmentId.toString()} holds your stake.
        </p>
        <p>
          Transaction <span className="mono">{txHash}</span>
        </p>
      </div>
      <Steps steps={steps} label="Progress" sayWhenSkipped={false} />
      <p>
        <a href="#/">Go to the dashboard</a> ·{" "}
        <button type="button" className="link" onClick={onCreateAnother}>
          Create another
        </button>
      </p>
    </>
  );
}
