/**
 * Dashboard: totals (released, slashed, locked), one card per commitment with its milestone timeline, a
 * countdown to the current claim deadline, a progress ring for the current window (from the agent), and
 * Claim (one, or all claimable at once through Multicall) / settle missed windows.
 * Vault v2: appeal a milestone whose window ended unclaimed (before its claim deadline, posting the bond),
 * see appealed milestones (bond, when, earliest expiry; expire one nobody ruled on), and exit a commitment
 * while the vault's `exitAvailable()` is true.
 * Commitments and milestone states come from the chain; progress and "claimable" from the agent when signed in.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type Address, zeroAddress } from "viem";
import { useBalance, useConnection, usePublicClient } from "wagmi";
import { listCommitments } from "../api/agentClient.ts";
import type { ApiCommitment } from "../api/schemas.ts";
import type { Deployment } from "../chain/deployments.ts";
import { ReleasedBy } from "../commitment/ReleasedBy.tsx";
import {
  APPEAL_PERIOD_SECONDS,
  appealMayExpire,
  canAppeal,
  currentMilestoneIndex,
  milestoneStatus,
  STATUS_LABEL,
} from "../chain/milestoneStatus.ts";
import { type CommitmentView, readCommitment, readVaultFlags } from "../chain/vaultReads.ts";
import { listOwnedCommitmentIds, MAX_FOUND, MAX_SCANNED_IDS } from "../chain/commitmentIndex.ts";
import { loadDashboardCommitments } from "../commitment/commitmentSource.ts";
import { BeneficiaryCredits } from "../beneficiary/BeneficiaryCredits.tsx";
import { CancelCommitment } from "../beneficiary/CancelCommitment.tsx";
import { ProgressChart } from "../progress/ProgressChart.tsx";
import { shapeProgressChart } from "../progress/progressChart.ts";
import {
  type AppealRef,
  useAppealMilestone,
  useExitCommitment,
  useExpireAppeal,
} from "../commitment/useMilestoneAppeals.ts";
import {
  type MilestoneRef,
  useClaimMilestones,
  useSlashMilestones,
} from "../commitment/useSettleMilestones.ts";
import { ChallengeBadge } from "../challenges/ChallengeBadge.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { describeError } from "../errors/describeError.ts";
import { PageHeading } from "../components/PageHeading.tsx";
import { ProgressRing } from "../components/ProgressRing.tsx";
import { formatAmount } from "../format/amount.ts";
import { formatCountdown, formatDateTime, formatPeriod, fromUnix } from "../format/time.ts";
import { useChainTime } from "../hooks/useChainTime.ts";
import { useCountdown } from "../hooks/useNow.ts";
import { useSession } from "../hooks/useSession.ts";

interface TokenMeta {
  symbol: string;
  decimals: number;
}

function tokenMeta(deployment: Deployment, token: Address): TokenMeta {
  if (token === zeroAddress) return { symbol: "ETH", decimals: 18 };
  const t = deployment.tokens.find((x) => x.address.toLowerCase() === token.toLowerCase());
  return t ? { symbol: t.symbol, decimals: t.decimals } : { symbol: "tokens", decimals: 18 };
}

function Countdown({ deadline, offsetMs, label }: { deadline: number; offsetMs: number; label: string }) {
  const { msLeft, passed } = useCountdown(fromUnix(deadline), offsetMs);
  return (
    <p>
      {label}: <strong>{passed ? "passed" : formatCountdown(msLeft)}</strong>{" "}
      <span className="hint">({formatDateTime(fromUnix(deadline))})</span>
    </p>
  );
}

interface CardProps {
  deployment: Deployment;
  commitment: CommitmentView;
  api: ApiCommitment | undefined;
  nowSec: number;
  offsetMs: number;
  signedIn: boolean;
  onClaim: (refs: MilestoneRef[]) => void;
  onSlash: (refs: MilestoneRef[]) => void;
  /** The vault is paused: nothing can be appealed, claimed or slashed. */
  paused: boolean;
  /** The vault's `exitAvailable()`. */
  exitAvailable: boolean;
  onAppeal: (ref: AppealRef) => void;
  onExpireAppeal: (ref: MilestoneRef) => void;
  onExit: (commitmentId: bigint) => void;
  busy: boolean;
  /** The connected account (the owner may cancel before the start). */
  account?: Address | undefined;
}

function CommitmentCard({
  deployment,
  commitment: c,
  api,
  nowSec,
  offsetMs,
  signedIn,
  onClaim,
  onSlash,
  paused,
  exitAvailable,
  onAppeal,
  onExpireAppeal,
  onExit,
  busy,
  account,
}: CardProps) {
  const meta = tokenMeta(deployment, c.token);
  const statuses = c.milestones.map((m) => ({ ...m, status: milestoneStatus(m.state, m, nowSec) }));
  const current = currentMilestoneIndex(statuses);
  const currentMilestone = current === undefined ? undefined : statuses[current];
  const apiCurrent = current === undefined ? undefined : api?.milestones.find((m) => m.index === current);
  const claimable = (api?.milestones ?? [])
    .filter((m) => m.claimable && statuses[m.index]?.state === "open")
    .map((m) => ({ commitmentId: c.id, index: m.index }));
  const missed = statuses
    .filter((m) => m.status === "missed")
    .map((m) => ({ commitmentId: c.id, index: m.index }));
  const fmt = (value: bigint) => formatAmount({ value, ...meta });
  const appealable = statuses.filter((m) => !c.closed && canAppeal(m.status, paused));
  const appeals = statuses.filter((m) => m.appeal !== null);
  // Exit only changes something while a milestone is still unsettled.
  const canExit =
    exitAvailable && !c.closed && c.milestones.some((m) => m.state === "open" || m.state === "appealed");
  const headingId = `commitment-${c.id}`;
  // No chart for a cancelled commitment (every milestone refunded before anything started).
  const cancelled = c.closed && c.milestones.every((m) => m.state === "refunded");
  const chart =
    api && !cancelled
      ? shapeProgressChart(
          c.milestones.map((m) => {
            const p = api.milestones.find((a) => a.index === m.index)?.progress;
            return {
              start: m.windowStart,
              end: m.windowEnd,
              done: p?.done ?? null,
              required: p?.required ?? null,
            };
          }),
          nowSec,
        )
      : null;
  const beforeStart = nowSec < c.start && account !== undefined && account === c.owner;
  return (
    <article
      className="card"
      aria-labelledby={headingId}
      data-testid="commitment-card"
      data-commitment-id={c.id.toString()}
    >
      <h2 id={headingId}>
        Commitment #{c.id.toString()} · {fmt(c.amount)}
      </h2>
      <p className="hint">
        {c.milestones.length} × {formatPeriod(c.period)} from {formatDateTime(fromUnix(c.start))}
        {c.closed ? " · closed" : ""}
      </p>
      <ChallengeBadge deployment={deployment} commitment={c} />
      <h3>Milestones</h3>
      <ol className="timeline" aria-label={`Milestones of commitment ${c.id}`}>
        {statuses.map((m) => (
          <li key={m.index} className={`st-${m.status}`} data-status={m.status}>
            {m.index + 1}: {STATUS_LABEL[m.status]} · {fmt(m.amount)}
            {m.status === "released" ? (
              <ReleasedBy deployment={deployment} owner={c.owner} commitmentId={c.id} index={m.index} />
            ) : null}
          </li>
        ))}
      </ol>
      {appeals.length > 0 ? (
        <>
          <h3>Appeals</h3>
          <ul className="appeals" aria-label={`Appeals of commitment ${c.id}`}>
            {appeals.map((m) =>
              m.appeal === null ? null : (
                <li key={m.index} data-testid="appeal" data-status={m.status}>
                  Milestone {m.index + 1}: appealed {formatDateTime(fromUnix(m.appeal.appealedAt))}, bond{" "}
                  {fmt(m.appeal.bond)} ·{" "}
                  {m.status === "appealed" ? (
                    <>
                      awaiting the arbiter; if nobody rules, it expires (share and bond back to you) from{" "}
                      {formatDateTime(fromUnix(m.appeal.appealedAt + APPEAL_PERIOD_SECONDS))}
                      {appealMayExpire(m.appeal.appealedAt, nowSec) && !paused ? (
                        <>
                          {" "}
                          <button
                            type="button"
                            className="secondary"
                            onClick={() => onExpireAppeal({ commitmentId: c.id, index: m.index })}
                            disabled={busy}
                          >
                            Expire appeal of milestone {m.index + 1}
                          </button>
                        </>
                      ) : null}
                    </>
                  ) : (
                    `settled: ${STATUS_LABEL[m.status]}`
                  )}
                </li>
              ),
            )}
          </ul>
        </>
      ) : null}
      {currentMilestone ? (
        currentMilestone.status === "upcoming" ? (
          <Countdown
            deadline={currentMilestone.windowStart}
            offsetMs={offsetMs}
            label={`Window ${current === undefined ? "" : current + 1} opens in`}
          />
        ) : (
          <Countdown
            deadline={currentMilestone.claimDeadline}
            offsetMs={offsetMs}
            label={`Claim deadline of window ${current === undefined ? "" : current + 1}`}
          />
        )
      ) : null}
      {apiCurrent?.progress ? (
        <ProgressRing
          done={apiCurrent.progress.done}
          required={apiCurrent.progress.required}
          label="workouts this window"
        />
      ) : currentMilestone && currentMilestone.status !== "upcoming" ? (
        <p className="hint">
          {signedIn ? "Progress is not available from the agent right now." : "Sign in to see your progress."}
        </p>
      ) : null}
      {chart ? <ProgressChart commitmentId={c.id} data={chart} /> : null}
      {beforeStart ? (
        <CancelCommitment
          deployment={deployment}
          account={account}
          commitmentId={c.id}
          amount={c.amount}
          formatted={fmt(c.amount)}
          closed={c.closed}
        />
      ) : null}
      <div className="choices">
        {claimable.length > 0 ? (
          <button type="button" onClick={() => onClaim(claimable)} disabled={busy}>
            Claim{" "}
            {claimable.length === 1
              ? `milestone ${(claimable[0]?.index ?? 0) + 1}`
              : `${claimable.length} milestones`}
          </button>
        ) : null}
        {missed.length > 0 ? (
          <button type="button" className="secondary" onClick={() => onSlash(missed)} disabled={busy}>
            Settle {missed.length} missed window{missed.length === 1 ? "" : "s"}
          </button>
        ) : null}
        {appealable.map((m) => (
          <button
            key={m.index}
            type="button"
            className="secondary"
            onClick={() => onAppeal({ commitmentId: c.id, index: m.index, token: c.token })}
            disabled={busy}
            title="The window ended without a claim. Appeal if the oracles are wrong or gone: no slash until the arbiter rules."
          >
            Appeal milestone {m.index + 1} (bond {fmt(m.appealBond)})
          </button>
        ))}
        {canExit ? (
          <button type="button" className="secondary" onClick={() => onExit(c.id)} disabled={busy}>
            Exit commitment #{c.id.toString()}
          </button>
        ) : null}
      </div>
    </article>
  );
}

function totalsOf(commitments: CommitmentView[]) {
  const sums = new Map<Address, Record<"released" | "slashed" | "locked", bigint>>();
  for (const c of commitments) {
    const t = sums.get(c.token) ?? { released: 0n, slashed: 0n, locked: 0n };
    for (const m of c.milestones) {
      if (m.state === "released") t.released += m.amount;
      else if (m.state === "slashed") t.slashed += m.amount;
      else if (m.state === "open" || m.state === "appealed") t.locked += m.amount;
    }
    sums.set(c.token, t);
  }
  return sums;
}

export default function Dashboard({ deployment }: { deployment: Deployment }) {
  const { address } = useConnection();
  const client = usePublicClient({ chainId: deployment.chainId });
  const { signedIn, error: sessionError } = useSession();
  const chainTime = useChainTime(deployment.chainId);
  const balance = useBalance({ address, chainId: deployment.chainId });
  const queryClient = useQueryClient();
  // Which commitments: the agent's list when signed in; the bounded chain read (by id) when the agent is down
  // or nobody is signed in (commitment/commitmentSource.ts). Their states: the vault, one call each.
  const listing = useQuery({
    queryKey: [
      "commitments",
      deployment.chainId,
      deployment.vault.address,
      address,
      signedIn,
      sessionError !== null,
    ],
    enabled: client !== undefined && address !== undefined,
    queryFn: () => {
      if (client === undefined || address === undefined) throw new Error("No client for this chain.");
      return loadDashboardCommitments({
        signedIn,
        sessionError,
        fromAgent: () =>
          queryClient.fetchQuery({
            queryKey: ["api", "commitments", address],
            queryFn: listCommitments,
            staleTime: 2_000,
            retry: false,
          }),
        fromChain: () => listOwnedCommitmentIds(client, deployment.vault.address, address),
        read: (id) => readCommitment(client, deployment.vault.address, id),
        owner: address,
      });
    },
  });
  const onChain = { ...listing, data: listing.data?.commitments };
  const fromAgent = useQuery({
    queryKey: ["api", "commitments", address],
    enabled: signedIn,
    retry: false,
    queryFn: listCommitments,
  });
  const fallback = listing.data?.reason === "agent-down";
  const flags = useQuery({
    queryKey: ["vault-flags", deployment.chainId, deployment.vault.address],
    enabled: client !== undefined,
    queryFn: () => {
      if (client === undefined) throw new Error("No client for this chain.");
      return readVaultFlags(client, deployment.vault.address);
    },
  });
  const claim = useClaimMilestones(deployment, address);
  const slash = useSlashMilestones(deployment, address);
  const appeal = useAppealMilestone(deployment, address);
  const expireAppeal = useExpireAppeal(deployment, address);
  const exit = useExitCommitment(deployment, address);
  const busy =
    claim.isPending || slash.isPending || appeal.isPending || expireAppeal.isPending || exit.isPending;
  const offsetMs = chainTime.data?.offsetMs ?? 0;
  const nowSec = Math.max(chainTime.data?.blockTime ?? 0, Math.floor((Date.now() + offsetMs) / 1000));
  const commitments = onChain.data ?? [];
  const totals = totalsOf(commitments);
  const allClaimable: MilestoneRef[] = (fromAgent.data ?? []).flatMap((c) =>
    c.milestones.filter((m) => m.claimable).map((m) => ({ commitmentId: BigInt(c.id), index: m.index })),
  );

  return (
    <>
      <PageHeading>Your commitments</PageHeading>
      <p>
        Wallet balance:{" "}
        <strong data-testid="wallet-balance">
          {balance.data
            ? formatAmount({ value: balance.data.value, decimals: 18, symbol: "ETH", maxFractionDigits: 4 })
            : "…"}
        </strong>
      </p>
      {commitments.length > 0 ? (
        <dl className="totals" aria-label="Totals">
          {[...totals.entries()].map(([token, t]) => {
            const meta = tokenMeta(deployment, token);
            return (
              <div key={token}>
                <dt>Released ({meta.symbol})</dt>
                <dd data-testid="total-released">{formatAmount({ value: t.released, ...meta })}</dd>
                <dt>Slashed ({meta.symbol})</dt>
                <dd data-testid="total-slashed">{formatAmount({ value: t.slashed, ...meta })}</dd>
                <dt>Locked ({meta.symbol})</dt>
                <dd data-testid="total-locked">{formatAmount({ value: t.locked, ...meta })}</dd>
              </div>
            );
          })}
        </dl>
      ) : null}
      {allClaimable.length > 1 ? (
        <p>
          <button type="button" onClick={() => claim.mutate(allClaimable)} disabled={busy}>
            Claim all {allClaimable.length} claimable milestones in one transaction
          </button>
        </p>
      ) : null}
      <div aria-live="polite">
        {claim.isPending ? <p role="status">Fetching attestations and claiming…</p> : null}
        {slash.isPending ? <p role="status">Settling missed windows…</p> : null}
        {claim.isSuccess ? (
          <div className="alert ok" role="status">
            <p>
              Claimed {claim.data.count} milestone{claim.data.count === 1 ? "" : "s"}; the share
              {claim.data.count === 1 ? " is" : "s are"} back in your wallet.
            </p>
          </div>
        ) : null}
        {appeal.isPending ? <p role="status">Appealing…</p> : null}
        {expireAppeal.isPending ? <p role="status">Expiring the appeal…</p> : null}
        {exit.isPending ? <p role="status">Exiting…</p> : null}
        {appeal.isSuccess ? (
          <div className="alert ok" role="status" data-testid="appeal-done">
            <p>
              Milestone {appeal.data.index + 1} is appealed: it cannot be slashed until the arbiter rules, a
              late oracle quorum claims it, or the appeal expires.
            </p>
          </div>
        ) : null}
        {expireAppeal.isSuccess ? (
          <div className="alert ok" role="status">
            <p>The appeal of milestone {expireAppeal.data.index + 1} expired: its share and bond are back.</p>
          </div>
        ) : null}
        {exit.isSuccess ? (
          <div className="alert ok" role="status">
            <p>Commitment #{exit.data.commitmentId.toString()} exited: what was not forfeited is back.</p>
          </div>
        ) : null}
        {slash.isSuccess ? (
          <div className="alert info" role="status">
            <p>
              Settled {slash.data.count} missed window{slash.data.count === 1 ? "" : "s"}: the share went to
              the beneficiary.
            </p>
          </div>
        ) : null}
      </div>
      <ErrorAlert error={claim.error} />
      <ErrorAlert error={slash.error} />
      <ErrorAlert error={appeal.error} />
      <ErrorAlert error={expireAppeal.error} />
      <ErrorAlert error={exit.error} />
      {flags.data?.exitAvailable ? (
        <div className="alert warn" role="status" data-testid="exit-available">
          <p>
            The vault has been paused for 30 of the last 31 days: anyone may now exit a commitment. Milestones
            forfeited before the pause go to the beneficiary; everything else comes back to you.
          </p>
        </div>
      ) : flags.data?.paused ? (
        <div className="alert warn" role="status">
          <p>The vault is paused: nothing can be claimed, slashed or appealed until it resumes.</p>
        </div>
      ) : null}
      {deployment.threshold > 1 ? (
        <p className="alert info">
          This vault needs {deployment.threshold} oracle signatures per claim: claims ask every oracle. Each
          oracle's verdict, sign-in and gasless claims: <a href="#/claims">Claims</a>.
        </p>
      ) : null}
      <BeneficiaryCredits deployment={deployment} account={address} />
      {fallback ? (
        <div className="alert warn" role="status" data-testid="chain-fallback">
          <p>
            The agent cannot be reached, so your commitments are read straight from the vault (the newest{" "}
            {MAX_SCANNED_IDS.toLocaleString("en-GB")} of all commitments, at most {MAX_FOUND} of yours).
            Progress, claims and the chart come back with the agent.
          </p>
        </div>
      ) : null}
      {listing.data?.truncated ? (
        <p className="hint" data-testid="listing-truncated">
          Showing your newest {listing.data.commitments.length} commitments; older ones are not listed here.
        </p>
      ) : null}
      {onChain.isPending ? <p role="status">Loading your commitments…</p> : null}
      <ErrorAlert error={onChain.error} />
      {signedIn && fromAgent.error ? (
        <div className="alert warn" role="status">
          <p>Progress and claims need the agent: {describeError(fromAgent.error).message}</p>
        </div>
      ) : null}
      {onChain.isSuccess && commitments.length === 0 ? (
        <div className="card">
          <p>You have no commitment yet.</p>
          <p>
            <a href="#/new">Create your first commitment</a>
          </p>
        </div>
      ) : null}
      {commitments.map((c) => (
        <CommitmentCard
          key={c.id.toString()}
          deployment={deployment}
          commitment={c}
          api={fromAgent.data?.find((a) => a.id === c.id.toString())}
          nowSec={nowSec}
          offsetMs={offsetMs}
          signedIn={signedIn}
          onClaim={(refs) => claim.mutate(refs)}
          onSlash={(refs) => slash.mutate(refs)}
          paused={flags.data?.paused ?? false}
          exitAvailable={flags.data?.exitAvailable ?? false}
          onAppeal={(ref) => appeal.mutate(ref)}
          onExpireAppeal={(ref) => expireAppeal.mutate(ref)}
          onExit={(id) => exit.mutate(id)}
          busy={busy}
          account={address}
        />
      ))}
    </>
  );
}
