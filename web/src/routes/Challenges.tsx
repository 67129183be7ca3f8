/**
 * Challenges (issue 14): `#/challenges` lists the pool's challenges with their parameters (sport, workouts and
 * minutes per window, windows, stake, capacity, seats left, join deadline, fee) and a form to create one;
 * `#/challenges/<id>` shows one challenge: its terms, the pot, winnings each, the leaderboard (every
 * participant's standing: on track / behind / finished / out), your standing, and the actions that apply to
 * you: join (ETH, approve then join, or a permit signature), claim winnings, withdraw pool credits.
 * Lists and standings come from the agent (public routes); the amounts you act on are read from the pool.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { type Address, zeroAddress } from "viem";
import { useConnection } from "wagmi";
import {
  type ApiChallenge,
  type ApiChallengeDetail,
  fetchChallenge,
  fetchRules,
  listChallenges,
} from "../api/challengesClient.ts";
import type { Deployment } from "../chain/deployments.ts";
import {
  challengeIdOfHash,
  formatFee,
  joinMethod,
  PHASE_LABEL,
  STANDING_LABEL,
  seatsLeft,
  shortAddress,
  splitPot,
  sportsInWords,
  workoutsInWords,
} from "../challenges/challengeLogic.ts";
import { CreateChallengeForm } from "../challenges/CreateChallengeForm.tsx";
import { YourStanding } from "../challenges/YourStanding.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { formatAmount } from "../format/amount.ts";
import { formatDateTime, formatPeriod, fromUnix } from "../format/time.ts";

function tokenMeta(deployment: Deployment, token: Address) {
  if (token === zeroAddress) return { symbol: "ETH", decimals: 18, info: undefined };
  const info = deployment.tokens.find((t) => t.address.toLowerCase() === token.toLowerCase());
  return info
    ? { symbol: info.symbol, decimals: info.decimals, info }
    : { symbol: "tokens", decimals: 18, info: undefined };
}

function useHashChallengeId(): bigint | undefined {
  const [id, setId] = useState(() => challengeIdOfHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setId(challengeIdOfHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return id;
}

function RulesSummary({ rulesHash }: { rulesHash: `0x${string}` }) {
  const rules = useQuery({
    queryKey: ["rules", rulesHash],
    queryFn: () => fetchRules(rulesHash),
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  if (rules.isPending) return <>…</>;
  if (!rules.data) {
    return (
      <>
        rules not known to this agent (hash <span className="mono">{shortAddress(rulesHash)}</span>)
      </>
    );
  }
  return (
    <>
      {sportsInWords(rules.data.perMilestone.activities)}: {workoutsInWords(rules.data)}
    </>
  );
}

function Terms({ deployment, c }: { deployment: Deployment; c: ApiChallenge }) {
  const meta = tokenMeta(deployment, c.token);
  return (
    <dl className="terms">
      <dt>Sport and workouts</dt>
      <dd>
        <RulesSummary rulesHash={c.rulesHash} />
      </dd>
      <dt>Schedule</dt>
      <dd>
        {c.milestones} × {formatPeriod(c.period)} from {formatDateTime(fromUnix(c.start))}
      </dd>
      <dt>Stake</dt>
      <dd data-testid="challenge-stake">{formatAmount({ value: c.stake, ...meta })}</dd>
      <dt>Seats</dt>
      <dd>
        {c.participantCount} of {c.maxParticipants} taken · {seatsLeft(c)} left
      </dd>
      <dt>Joining closes</dt>
      <dd>{formatDateTime(fromUnix(c.joinDeadline))}</dd>
      <dt>Fee on the pot</dt>
      <dd>{formatFee(c.feeBps)}</dd>
      <dt>Status</dt>
      <dd>{PHASE_LABEL[c.phase]}</dd>
    </dl>
  );
}

function ChallengeList({ deployment }: { deployment: Deployment }) {
  const [creating, setCreating] = useState(false);
  const list = useQuery({ queryKey: ["challenges"], queryFn: () => listChallenges(), retry: false });
  return (
    <>
      <PageHeading>Challenges</PageHeading>
      <p>
        Join a challenge with others: everyone stakes the same amount on the same rules. Meet every window and
        your stake comes back week by week, plus an equal share of the stakes of those who missed.
      </p>
      {creating ? (
        <CreateChallengeForm
          deployment={deployment}
          onCreated={(id) => {
            setCreating(false);
            window.location.hash = `#/challenges/${id}`;
          }}
        />
      ) : (
        <p>
          <button type="button" className="secondary" onClick={() => setCreating(true)}>
            Create a challenge
          </button>
        </p>
      )}
      {list.isPending ? <p role="status">Loading challenges…</p> : null}
      <ErrorAlert error={list.error} />
      {list.isSuccess && list.data.challenges.length === 0 ? (
        <div className="card">
          <p>No challenge yet: create the first one.</p>
        </div>
      ) : null}
      {list.data?.challenges.map((c) => {
        const headingId = `challenge-${c.id}`;
        return (
          <article
            key={c.id.toString()}
            className="card"
            aria-labelledby={headingId}
            data-testid="challenge-card"
          >
            <h2 id={headingId}>
              <a href={`#/challenges/${c.id}`}>Challenge #{c.id.toString()}</a>
            </h2>
            <Terms deployment={deployment} c={c} />
          </article>
        );
      })}
      {list.data?.nextCursor ? (
        <p className="hint">Showing the first {list.data.challenges.length}.</p>
      ) : null}
    </>
  );
}

function Leaderboard({
  deployment,
  c,
  me,
}: {
  deployment: Deployment;
  c: ApiChallengeDetail;
  me: Address | undefined;
}) {
  const meta = tokenMeta(deployment, c.token);
  if (c.participants.length === 0) return <p>Nobody has joined yet.</p>;
  return (
    <table aria-label="Leaderboard" className="leaderboard">
      <thead>
        <tr>
          <th scope="col">Participant</th>
          <th scope="col">Standing</th>
          <th scope="col">Windows released</th>
          <th scope="col">Winnings to claim</th>
        </tr>
      </thead>
      <tbody>
        {c.participants.map((p) => (
          <tr key={p.address} data-testid="participant" data-standing={p.standing}>
            <td>
              <span className="mono" title={p.address}>
                {shortAddress(p.address)}
              </span>
              {me !== undefined && p.address === me ? " (you)" : ""}
            </td>
            <td>{STANDING_LABEL[p.standing]}</td>
            <td>{p.milestonesReleased === null ? "–" : `${p.milestonesReleased} of ${c.milestones}`}</td>
            <td>{p.claimable > 0n ? formatAmount({ value: p.claimable, ...meta }) : "–"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PotSection({ c, fmt }: { c: ApiChallengeDetail; fmt: (value: bigint) => string }) {
  const closed = c.participantCount > 0 && c.settledCount === c.participantCount;
  const split = splitPot(c.pot, c.feeBps, c.finisherCount);
  return (
    <section className="card" aria-labelledby="challenge-pot">
      <h2 id="challenge-pot">Pot</h2>
      <dl className="terms">
        <dt>Pot of slashed stakes</dt>
        <dd data-testid="challenge-pot">{fmt(c.pot)}</dd>
        <dt>Settled</dt>
        <dd>
          {c.settledCount} of {c.participantCount} participants · {c.finisherCount} finished
        </dd>
        <dt>Winnings each</dt>
        <dd data-testid="winnings-each">
          {closed
            ? c.finisherCount > 0
              ? fmt(c.winningsEach ?? split.winningsEach)
              : `nobody finished: the pot goes to the fallback beneficiary`
            : "known once every participant is settled"}
        </dd>
      </dl>
    </section>
  );
}

function ChallengeDetail({ deployment, id }: { deployment: Deployment; id: bigint }) {
  const { address } = useConnection();
  const detail = useQuery({
    queryKey: ["challenge", id.toString(), address],
    queryFn: () => fetchChallenge(id),
    retry: false,
    refetchInterval: 4000,
  });
  const c = detail.data;

  if (detail.isPending) return <p role="status">Loading the challenge…</p>;
  if (c === undefined) {
    return (
      <>
        <PageHeading>Challenge #{id.toString()}</PageHeading>
        <ErrorAlert error={detail.error} />
        <p>
          <a href="#/challenges">All challenges</a>
        </p>
      </>
    );
  }
  const meta = tokenMeta(deployment, c.token);
  const fmt = (value: bigint) => formatAmount({ value, symbol: meta.symbol, decimals: meta.decimals });
  const mine = c.you ?? c.participants.find((p) => address !== undefined && p.address === address) ?? null;

  return (
    <>
      <PageHeading>Challenge #{c.id.toString()}</PageHeading>
      <p>
        <a href="#/challenges">All challenges</a>
      </p>
      <section className="card" aria-labelledby="challenge-terms">
        <h2 id="challenge-terms">Terms</h2>
        <Terms deployment={deployment} c={c} />
      </section>
      <PotSection c={c} fmt={fmt} />
      <YourStanding
        deployment={deployment}
        c={c}
        mine={mine}
        address={address}
        method={joinMethod(c.token, meta.info)}
        symbol={meta.symbol}
        fmt={fmt}
      />
      <section className="card" aria-labelledby="challenge-board">
        <h2 id="challenge-board">Leaderboard</h2>
        <Leaderboard deployment={deployment} c={c} me={address} />
        {c.nextParticipantCursor ? <p className="hint">Showing the first {c.participants.length}.</p> : null}
      </section>
    </>
  );
}

export default function Challenges({ deployment }: { deployment: Deployment }) {
  const id = useHashChallengeId();
  if (deployment.challengePool === undefined) {
    return (
      <>
        <PageHeading>Challenges</PageHeading>
        <p>This network's deployment has no challenge pool.</p>
      </>
    );
  }
  return id === undefined ? (
    <ChallengeList deployment={deployment} />
  ) : (
    <ChallengeDetail key={id.toString()} deployment={deployment} id={id} />
  );
}
