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
import type { Address } from "viem";
import { useBalance, useConnection, usePublicClient } from "wagmi";
import { listCommitments } from "../api/agentClient.ts";
import { BeneficiaryCredits } from "../beneficiary/BeneficiaryCredits.tsx";
import { listOwnedCommitmentIds, MAX_FOUND, MAX_SCANNED_IDS } from "../chain/commitmentIndex.ts";
import type { Deployment } from "../chain/deployments.ts";
import { type CommitmentView, readCommitment, readVaultFlags, type VaultFlags } from "../chain/vaultReads.ts";
import { CommitmentCard, tokenMeta } from "../commitment/CommitmentCard.tsx";
import { loadDashboardCommitments } from "../commitment/commitmentSource.ts";
import { useAppealMilestone, useExitCommitment, useExpireAppeal } from "../commitment/useMilestoneAppeals.ts";
import {
  type MilestoneRef,
  useClaimMilestones,
  useSlashMilestones,
} from "../commitment/useSettleMilestones.ts";
import { ErrorAlert, ErrorAlerts } from "../components/ErrorAlert.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { describeError } from "../errors/describeError.ts";
import { formatAmount } from "../format/amount.ts";
import { useChainTime } from "../hooks/useChainTime.ts";
import { useSession } from "../hooks/useSession.ts";

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

type Mutations = ReturnType<typeof useDashboardMutations>;

function useDashboardMutations(deployment: Deployment, address: Address | undefined) {
  const claim = useClaimMilestones(deployment, address);
  const slash = useSlashMilestones(deployment, address);
  const appeal = useAppealMilestone(deployment, address);
  const expireAppeal = useExpireAppeal(deployment, address);
  const exit = useExitCommitment(deployment, address);
  const busy =
    claim.isPending || slash.isPending || appeal.isPending || expireAppeal.isPending || exit.isPending;
  return { claim, slash, appeal, expireAppeal, exit, busy };
}

/** How often a signed-in dashboard re-reads its list of commitments (the agent's index). */
const LISTING_REFRESH_MS = 30_000;

/**
 * Which commitments: the agent's list when signed in; the bounded chain read (by id) when the agent is down or
 * nobody is signed in (commitment/commitmentSource.ts). Their states: the vault, one call each.
 */
function useDashboardListing(deployment: Deployment, address: Address | undefined) {
  const client = usePublicClient({ chainId: deployment.chainId });
  const { signedIn, error: sessionError } = useSession();
  const queryClient = useQueryClient();
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
    // Signed in, a commitment made elsewhere (another tab, a challenge seat, a script) or indexed by the agent a
    // moment after this page loaded shows up without a reload. Not the chain read: a scan of the vault each time.
    refetchInterval: signedIn ? LISTING_REFRESH_MS : false,
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
  const fromAgent = useQuery({
    queryKey: ["api", "commitments", address],
    enabled: signedIn,
    retry: false,
    queryFn: listCommitments,
  });
  const flags = useQuery({
    queryKey: ["vault-flags", deployment.chainId, deployment.vault.address],
    enabled: client !== undefined,
    queryFn: () => {
      if (client === undefined) throw new Error("No client for this chain.");
      return readVaultFlags(client, deployment.vault.address);
    },
  });
  return { listing, fromAgent, flags, signedIn };
}

function Totals({ deployment, commitments }: { deployment: Deployment; commitments: CommitmentView[] }) {
  return (
    <dl className="totals" aria-label="Totals">
      {[...totalsOf(commitments).entries()].map(([token, t]) => {
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
  );
}

/** What the dashboard's transactions are doing or did, and why one failed. */
function TransactionNotices({ m }: { m: Mutations }) {
  const { claim, slash, appeal, expireAppeal, exit } = m;
  return (
    <>
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
      <ErrorAlerts errors={[claim.error, slash.error, appeal.error, expireAppeal.error, exit.error]} />
    </>
  );
}

/** The vault's state (paused, exit available) and its oracle threshold. */
function VaultNotices({ deployment, flags }: { deployment: Deployment; flags: VaultFlags | undefined }) {
  return (
    <>
      {flags?.exitAvailable ? (
        <div className="alert warn" role="status" data-testid="exit-available">
          <p>
            The vault has been paused for 30 of the last 31 days: anyone may now exit a commitment. Milestones
            forfeited before the pause go to the beneficiary; everything else comes back to you.
          </p>
        </div>
      ) : flags?.paused ? (
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
    </>
  );
}

/** Where the list came from (the chain when the agent is down), whether it is cut, loading, failed or empty. */
function ListingNotices({ data }: { data: ReturnType<typeof useDashboardListing> }) {
  const { listing, fromAgent, signedIn } = data;
  return (
    <>
      {listing.data?.reason === "agent-down" ? (
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
      {listing.isPending ? <p role="status">Loading your commitments…</p> : null}
      <ErrorAlert error={listing.error} />
      {signedIn && fromAgent.error ? (
        <div className="alert warn" role="status">
          <p>Progress and claims need the agent: {describeError(fromAgent.error).message}</p>
        </div>
      ) : null}
      {listing.isSuccess && listing.data.commitments.length === 0 ? (
        <div className="card">
          <p>You have no commitment yet.</p>
          <p>
            <a href="#/new">Create your first commitment</a>
          </p>
        </div>
      ) : null}
    </>
  );
}

export default function Dashboard({ deployment }: { deployment: Deployment }) {
  const { address } = useConnection();
  const chainTime = useChainTime(deployment.chainId);
  const balance = useBalance({ address, chainId: deployment.chainId });
  const data = useDashboardListing(deployment, address);
  const { fromAgent, flags, signedIn } = data;
  const m = useDashboardMutations(deployment, address);
  const offsetMs = chainTime.data?.offsetMs ?? 0;
  const nowSec = Math.max(chainTime.data?.blockTime ?? 0, Math.floor((Date.now() + offsetMs) / 1000));
  const commitments = data.listing.data?.commitments ?? [];
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
      {commitments.length > 0 ? <Totals deployment={deployment} commitments={commitments} /> : null}
      {allClaimable.length > 1 ? (
        <p>
          <button type="button" onClick={() => m.claim.mutate(allClaimable)} disabled={m.busy}>
            Claim all {allClaimable.length} claimable milestones in one transaction
          </button>
        </p>
      ) : null}
      <TransactionNotices m={m} />
      <VaultNotices deployment={deployment} flags={flags.data} />
      <BeneficiaryCredits deployment={deployment} account={address} />
      <ListingNotices data={data} />
      {commitments.map((c) => (
        <CommitmentCard
          key={c.id.toString()}
          deployment={deployment}
          commitment={c}
          api={fromAgent.data?.find((a) => a.id === c.id.toString())}
          nowSec={nowSec}
          offsetMs={offsetMs}
          signedIn={signedIn}
          onClaim={(refs) => m.claim.mutate(refs)}
          onSlash={(refs) => m.slash.mutate(refs)}
          paused={flags.data?.paused ?? false}
          exitAvailable={flags.data?.exitAvailable ?? false}
          onAppeal={(ref) => m.appeal.mutate(ref)}
          onExpireAppeal={(ref) => m.expireAppeal.mutate(ref)}
          onExit={(id) => m.exit.mutate(id)}
          busy={m.busy}
          account={address}
        />
      ))}
    </>
  );
}
