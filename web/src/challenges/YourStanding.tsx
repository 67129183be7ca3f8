/**
 * A challenge's "Your standing" section: what the connected account's seat means now, and the actions that
 * apply to it: join (ETH, approve then join, or a permit signature), claim winnings, withdraw pool credits.
 */
import type { Address } from "viem";
import type { ApiChallengeDetail, ApiParticipant } from "../api/challengesClient.ts";
import type { Deployment } from "../chain/deployments.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { Steps } from "../components/Steps.tsx";
import {
  type JoinMethod,
  type MyStanding,
  myStanding,
  STANDING_HINT,
  STANDING_LABEL,
  seatsLeft,
} from "./challengeLogic.ts";
import { usePoolSeat } from "./challengeReads.ts";
import { useClaimWinnings, useJoinChallenge, useWithdrawPoolCredits } from "./useChallengeActions.ts";

type Format = (value: bigint) => string;

function StandingText({
  standing,
  joined,
  canJoin,
  fmt,
}: {
  standing: MyStanding;
  joined: boolean;
  canJoin: boolean;
  fmt: Format;
}) {
  switch (standing.kind) {
    case "not_joined":
      return (
        <p>
          {joined
            ? "Joined: your seat shows here once the agent has seen the transaction."
            : canJoin
              ? "You have not joined."
              : "You are not in this challenge."}
        </p>
      );
    case "in":
      return (
        <p>
          <strong>{STANDING_LABEL[standing.standing]}</strong>: {STANDING_HINT[standing.standing]}.
        </p>
      );
    case "claimable":
      return (
        <p>
          <strong>Finished.</strong> Your winnings:{" "}
          <span data-testid="my-winnings">{fmt(standing.amount)}</span>.
        </p>
      );
    case "waiting_for_others":
      return (
        <p>
          <strong>Finished.</strong> Winnings can be claimed once everyone is settled ({standing.settled} of{" "}
          {standing.of} so far).
        </p>
      );
    case "claimed":
      return (
        <p>
          <strong>Finished.</strong> Your winnings are claimed.
        </p>
      );
    default:
      return (
        <p>
          <strong>Out.</strong> {STANDING_HINT.out}.
        </p>
      );
  }
}

function JoinControls({
  c,
  join,
  canJoin,
  busy,
  method,
  symbol,
  fmt,
}: {
  c: ApiChallengeDetail;
  join: ReturnType<typeof useJoinChallenge>;
  canJoin: boolean;
  busy: boolean;
  method: JoinMethod;
  symbol: string;
  fmt: Format;
}) {
  return (
    <>
      {canJoin && join.state.phase !== "confirmed" ? (
        <p>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void join.run({ challengeId: c.id, token: c.token, stake: c.stake, symbol, method })
            }
          >
            {method === "eth"
              ? `Join with ${fmt(c.stake)}`
              : method === "permit"
                ? `Join with ${fmt(c.stake)} (one signature)`
                : `Approve and join with ${fmt(c.stake)}`}
          </button>
        </p>
      ) : null}
      {join.state.phase !== "idle" ? <Steps steps={join.state.steps} label="Joining" /> : null}
      {join.state.phase === "confirmed" ? (
        <div className="alert ok" role="status" data-testid="joined">
          <p>
            <strong>Joined.</strong> Your stake is commitment #{join.state.commitmentId.toString()}.
          </p>
        </div>
      ) : null}
      {join.state.phase === "failed" ? <ErrorAlert error={join.state.error} /> : null}
    </>
  );
}

function PayoutControls({
  c,
  standing,
  credits,
  claim,
  withdraw,
  busy,
  fmt,
}: {
  c: ApiChallengeDetail;
  standing: MyStanding;
  credits: bigint | undefined;
  claim: ReturnType<typeof useClaimWinnings>;
  withdraw: ReturnType<typeof useWithdrawPoolCredits>;
  busy: boolean;
  fmt: Format;
}) {
  return (
    <>
      {standing.kind === "claimable" ? (
        <p>
          <button
            type="button"
            disabled={busy}
            onClick={() => claim.mutate({ challengeId: c.id, amount: standing.amount })}
          >
            Claim winnings ({fmt(standing.amount)})
          </button>
        </p>
      ) : null}
      {claim.isPending ? <p role="status">Claiming your winnings…</p> : null}
      {claim.isSuccess ? (
        <div className="alert ok" role="status" data-testid="winnings-claimed">
          <p>Claimed {fmt(claim.data.amount)}: it is in your wallet.</p>
        </div>
      ) : null}
      <ErrorAlert error={claim.error} />
      {credits !== undefined && credits > 0n ? (
        <p>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => withdraw.mutate({ token: c.token, amount: credits })}
          >
            Withdraw {fmt(credits)} of pool credits
          </button>{" "}
          <span className="hint">(fee, rounding dust, or a pot nobody won, owed to you as recipient)</span>
        </p>
      ) : null}
      {withdraw.isSuccess ? (
        <div className="alert ok" role="status">
          <p>Withdrew {fmt(withdraw.data.amount)}.</p>
        </div>
      ) : null}
      <ErrorAlert error={withdraw.error} />
    </>
  );
}

export function YourStanding({
  deployment,
  c,
  mine,
  address,
  method,
  symbol,
  fmt,
}: {
  deployment: Deployment;
  c: ApiChallengeDetail;
  /** The account's seat, when it has one. */
  mine: ApiParticipant | null;
  address: Address | undefined;
  method: JoinMethod;
  symbol: string;
  fmt: Format;
}) {
  const seat = usePoolSeat(deployment, c.id, c.token, address);
  const join = useJoinChallenge(deployment, address);
  const claim = useClaimWinnings(deployment, address);
  const withdraw = useWithdrawPoolCredits(deployment, address);
  const standing = myStanding({
    you: mine,
    claimable: seat.data?.winnings ?? 0n,
    settledCount: c.settledCount,
    participantCount: c.participantCount,
  });
  const canJoin = standing.kind === "not_joined" && c.phase === "open" && seatsLeft(c) > 0;
  const busy = join.state.phase === "running" || claim.isPending || withdraw.isPending;
  return (
    <section className="card" aria-labelledby="challenge-you">
      <h2 id="challenge-you">Your standing</h2>
      <div aria-live="polite" data-testid="my-standing" data-kind={standing.kind}>
        <StandingText
          standing={standing}
          joined={join.state.phase === "confirmed"}
          canJoin={canJoin}
          fmt={fmt}
        />
        {mine !== null ? (
          <p>
            Your stake is <a href="#/">commitment #{mine.commitmentId.toString()} on your dashboard</a>: claim
            its windows there as usual.
          </p>
        ) : null}
      </div>
      <JoinControls
        c={c}
        join={join}
        canJoin={canJoin}
        busy={busy}
        method={method}
        symbol={symbol}
        fmt={fmt}
      />
      <PayoutControls
        c={c}
        standing={standing}
        credits={seat.data?.credits}
        claim={claim}
        withdraw={withdraw}
        busy={busy}
        fmt={fmt}
      />
    </section>
  );
}
