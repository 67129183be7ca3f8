/** The review before creating a commitment: the rules in words, the rulesHash computed here, every milestone's exact amount. */
import { milestoneSharesOf } from "@resolution-autopilot/vocabulary";
import { formatUnits } from "viem";
import { formatDateTime, formatPeriod, fromUnix } from "../format/time.ts";
import { rulesHashOf } from "../rules/rulesHash.ts";
import type { ValidCommitment } from "./commitmentForm.ts";

function MilestoneAmounts({ preview }: { preview: ValidCommitment }) {
  return (
    <div className="table-scroll">
      <table>
        <caption className="visually-hidden">Amount of every milestone</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Window</th>
            <th scope="col">Amount</th>
          </tr>
        </thead>
        <tbody>
          {milestoneSharesOf(preview.amount, preview.milestones).map((share, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: milestones are positional
            <tr key={i}>
              <td>{i + 1}</td>
              <td>
                {formatDateTime(fromUnix(preview.start + i * preview.period))} –{" "}
                {formatDateTime(fromUnix(preview.start + (i + 1) * preview.period))}
              </td>
              <td data-testid="milestone-amount">
                {formatUnits(share, preview.decimals)} {preview.symbol}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `preview`: the validated form, or undefined while a field is missing or wrong. */
export function CommitmentReview({ id, preview }: { id: string; preview: ValidCommitment | undefined }) {
  const rulesHash = preview ? rulesHashOf(preview.rules).rulesHash : undefined;
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>Review</h2>
      {preview && rulesHash ? (
        <>
          <p>
            {preview.rules.perMilestone.minWorkouts} workout(s) of at least{" "}
            {preview.rules.perMilestone.minMinutes} min ({preview.rules.perMilestone.activities.join(", ")})
            every {formatPeriod(preview.period)}, counted in {preview.rules.timezone}; evidence:{" "}
            {preview.rules.evidence === "device" ? "device files" : "any"}.
          </p>
          <p>
            Rules hash: <code data-testid="rules-hash">{rulesHash}</code>
          </p>
          <MilestoneAmounts preview={preview} />
          <p>
            Total: {formatUnits(preview.amount, preview.decimals)} {preview.symbol}; grace{" "}
            {preview.grace === 0 ? "none" : formatPeriod(preview.grace)}; beneficiary{" "}
            <span className="mono">{preview.beneficiary}</span>.
          </p>
        </>
      ) : (
        <p className="hint">Fill in every field to see the exact amount of each milestone.</p>
      )}
    </section>
  );
}
