/**
 * On a dashboard commitment card: "Part of challenge #N" when the commitment is a challenge seat (its beneficiary
 * is the pool), linking to the challenge. The seat's challenge comes from the pool's `Joined` logs of the owner.
 */
import type { Address } from "viem";
import type { Deployment } from "../chain/deployments.ts";
import { useMyChallengeSeats } from "./challengeReads.ts";

export function ChallengeBadge({
  deployment,
  commitment,
}: {
  deployment: Deployment;
  commitment: { id: bigint; owner: Address; beneficiary: Address };
}) {
  const pool = deployment.challengePool?.address;
  const isSeat = pool !== undefined && commitment.beneficiary.toLowerCase() === pool.toLowerCase();
  const seats = useMyChallengeSeats(deployment, isSeat ? commitment.owner : undefined);
  if (!isSeat) return null;
  const challengeId = seats.data?.get(commitment.id.toString());
  return (
    <p data-testid="challenge-badge">
      {challengeId === undefined ? (
        <a href="#/challenges">Part of a challenge</a>
      ) : (
        <a href={`#/challenges/${challengeId}`}>Part of challenge #{challengeId.toString()}</a>
      )}
      <span className="hint"> · missed windows go to the challenge's pot</span>
    </p>
  );
}
