/**
 * Claims across every oracle (issue 15): the deployment's oracle agents (signed in or not, down or up, relayer on
 * or off; sign in to all of them), each oracle's verdict per milestone (met / not met / unreachable), and for a
 * milestone that `threshold` oracles say is met: Claim from the wallet (the quorum's signatures, sorted), Gasless
 * claim through an agent's relayer, and Claim all. With no relayer on, every claimable milestone carries a
 * "Claim before <deadline>" banner: nobody will claim it for you.
 */
import { useQuery } from "@tanstack/react-query";
import { useConfig, useConnection } from "wagmi";
import type { ApiCommitment } from "../api/schemas.ts";
import type { Deployment } from "../chain/deployments.ts";
import { type MilestoneRef, useClaimMilestones } from "../commitment/useSettleMilestones.ts";
import { ErrorAlert, ErrorAlerts } from "../components/ErrorAlert.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { formatDateTime } from "../format/time.ts";
import { summarizeVerdicts, VERDICT_LABEL, type Verdict } from "../oracles/quorum.ts";
import { readOracleSet } from "../oracles/quorumClaim.ts";
import {
  type AgentView,
  milestoneVerdict,
  type OracleState,
  useGaslessClaims,
  useOracleStates,
  useOracleViews,
  useRelayerOn,
  useSignInOracles,
} from "../oracles/useOracles.ts";

function verdictText(v: Verdict): string {
  return v.kind === "met" || v.kind === "not_met"
    ? `${VERDICT_LABEL[v.kind]} (${v.done}/${v.required})`
    : VERDICT_LABEL[v.kind];
}

function OracleList({ states }: { states: OracleState[] }) {
  return (
    <ul aria-label="Oracles">
      {states.map((s) => (
        <li
          key={s.agent.url}
          data-testid="oracle-row"
          data-reachable={s.reachable}
          data-signed-in={s.signedIn}
        >
          <strong>{s.agent.label}</strong>{" "}
          <span className="mono">
            {s.agent.oracle ? `${s.agent.oracle.slice(0, 8)}…${s.agent.oracle.slice(-4)}` : "address unknown"}
          </span>{" "}
          · {s.loading ? "checking…" : !s.reachable ? "unreachable" : s.signedIn ? "signed in" : "signed out"}{" "}
          · gasless relayer{" "}
          {s.status === undefined || !s.reachable ? "unknown" : s.status.relayer.enabled ? "on" : "off"}
        </li>
      ))}
    </ul>
  );
}

interface Row {
  commitmentId: string;
  index: number;
  claimDeadline: string;
  verdicts: Verdict[];
  enough: boolean;
  met: number;
}

/** The open milestones (window opened, Open, before the deadline) any agent knows, with every oracle's verdict. */
function rowsOf(
  views: (AgentView | undefined)[],
  threshold: number,
  against?: Parameters<typeof summarizeVerdicts>[2],
): Row[] {
  const reference: ApiCommitment[] = [];
  for (const v of views)
    if (v?.ok) for (const c of v.commitments) if (!reference.some((r) => r.id === c.id)) reference.push(c);
  const rows: Row[] = [];
  for (const c of reference) {
    for (const m of c.milestones) {
      if (m.state !== "Open" || m.progress === null) continue;
      const verdicts = views.map((v) => milestoneVerdict(v, c.id, m.index));
      const anyClaimable = views.some(
        (v) =>
          v?.ok &&
          v.commitments.find((x) => x.id === c.id)?.milestones.find((x) => x.index === m.index)?.claimable,
      );
      // Only the vault's current oracles count, each once (not an agent whose oracle was removed).
      const summary = summarizeVerdicts(verdicts, threshold, against);
      if (!anyClaimable && summary.met === 0 && verdicts.every((x) => x.kind !== "not_met")) continue;
      rows.push({
        commitmentId: c.id,
        index: m.index,
        claimDeadline: m.claimDeadline,
        verdicts,
        enough: summary.enough && anyClaimable,
        met: summary.met,
      });
    }
  }
  return rows;
}

function VerdictTable({
  rows,
  states,
  threshold,
}: {
  rows: Row[];
  states: OracleState[];
  threshold: number;
}) {
  if (rows.length === 0) return <p>No open milestone with workouts yet.</p>;
  return (
    <section
      className="table-scroll"
      style={{ overflowX: "auto" }}
      aria-label="Verdicts per milestone, scrollable"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls sideways on a phone must take keyboard focus (axe: scrollable-region-focusable)
      tabIndex={0}
    >
      <table aria-label="Verdicts per milestone" data-testid="verdicts">
        <thead>
          <tr>
            <th scope="col">Milestone</th>
            {states.map((s) => (
              <th scope="col" key={s.agent.url}>
                {s.agent.label}
              </th>
            ))}
            <th scope="col">Quorum</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.commitmentId}-${r.index}`} data-testid="verdict-row" data-enough={r.enough}>
              <th scope="row">
                #{r.commitmentId} · {r.index + 1}
              </th>
              {r.verdicts.map((v, i) => (
                <td key={states[i]?.agent.url ?? i} data-verdict={v.kind}>
                  {verdictText(v)}
                </td>
              ))}
              <td>
                {r.met} of {threshold} needed
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** With no relayer on, nobody claims for the owner: one banner per claimable milestone with its deadline. */
function ClaimBanners({ rows }: { rows: Row[] }) {
  return rows
    .filter((r) => r.enough)
    .map((r) => (
      <div
        key={`${r.commitmentId}-${r.index}`}
        className="alert warn"
        role="status"
        data-testid="claim-banner"
      >
        <p>
          <strong>Claim before {formatDateTime(new Date(r.claimDeadline))}</strong> — commitment #
          {r.commitmentId}, milestone {r.index + 1}: no oracle agent claims it for you, and after that time it
          can be slashed.
        </p>
      </div>
    ));
}

interface ClaimActions {
  claim: ReturnType<typeof useClaimMilestones>;
  gasless: ReturnType<typeof useGaslessClaims>;
  relayerOn: boolean;
  busy: boolean;
}

function ClaimSection({
  rows,
  claimable,
  actions,
}: {
  rows: Row[];
  claimable: MilestoneRef[];
  actions: ClaimActions;
}) {
  const { claim, gasless, relayerOn, busy } = actions;
  return (
    <section className="card" aria-labelledby="claim-h">
      <h2 id="claim-h">Claim</h2>
      {!relayerOn ? <ClaimBanners rows={rows} /> : null}
      <ul className="choices" aria-label="Claimable milestones">
        {claimable.map((ref) => (
          <li key={`${ref.commitmentId}-${ref.index}`}>
            <button type="button" onClick={() => claim.mutate([ref])} disabled={busy}>
              Claim #{ref.commitmentId.toString()} milestone {ref.index + 1}
            </button>{" "}
            {relayerOn ? (
              <button
                type="button"
                className="secondary"
                onClick={() => gasless.mutate([ref])}
                disabled={busy}
              >
                Gasless claim #{ref.commitmentId.toString()} milestone {ref.index + 1}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {claimable.length > 1 ? (
        <p>
          <button type="button" onClick={() => claim.mutate(claimable)} disabled={busy}>
            Claim all {claimable.length} in one transaction
          </button>{" "}
          {relayerOn ? (
            <button
              type="button"
              className="secondary"
              onClick={() => gasless.mutate(claimable)}
              disabled={busy}
            >
              Claim all {claimable.length} gasless
            </button>
          ) : null}
        </p>
      ) : null}
    </section>
  );
}

function ClaimNotices({ actions, threshold }: { actions: ClaimActions; threshold: number }) {
  const { claim, gasless } = actions;
  return (
    <>
      <div aria-live="polite">
        {claim.isPending ? <p role="status">Gathering {threshold} oracle signatures and claiming…</p> : null}
        {gasless.isPending ? <p role="status">Gathering signatures; the relayer submits the claim…</p> : null}
        {claim.isSuccess ? (
          <div className="alert ok" role="status" data-testid="claim-done">
            <p>
              Claimed {claim.data.count} milestone{claim.data.count === 1 ? "" : "s"} with {threshold} oracle
              signature{threshold === 1 ? "" : "s"} each: the share is back in your wallet.
            </p>
          </div>
        ) : null}
        {gasless.isSuccess ? (
          <div className="alert ok" role="status" data-testid="gasless-done">
            <p>
              The relayer {gasless.data.every((r) => r.status === "confirmed") ? "claimed" : "is claiming"}{" "}
              {gasless.data.length} milestone{gasless.data.length === 1 ? "" : "s"} for you, without gas from
              your wallet.
            </p>
          </div>
        ) : null}
      </div>
      <ErrorAlerts errors={[claim.error, gasless.error]} />
    </>
  );
}

export default function Claims({ deployment }: { deployment: Deployment }) {
  const { address } = useConnection();
  const config = useConfig();
  const states = useOracleStates(deployment);
  const signIn = useSignInOracles();
  const views = useOracleViews(states, address !== undefined && states.every((s) => !s.loading));
  const oracleSet = useQuery({
    queryKey: ["oracle-set", deployment.chainId, deployment.vault.address],
    queryFn: () => readOracleSet(config, deployment),
  });
  const threshold = oracleSet.data?.threshold ?? deployment.threshold;
  const claim = useClaimMilestones(deployment, address);
  const gasless = useGaslessClaims(deployment, states);
  // An agent whose commitments answer says it is down is not counted as a relayer, whatever its last status said.
  const relayerOn = useRelayerOn(
    states.filter((_, i) => {
      const view = views[i]?.data;
      return view === undefined || view.ok || view.verdict.kind !== "unreachable";
    }),
  );
  const rows = rowsOf(
    views.map((v) => v.data),
    threshold,
    oracleSet.data === undefined
      ? undefined
      : { signers: states.map((s) => s.agent.oracle), oracles: oracleSet.data.oracles },
  );
  const claimable: MilestoneRef[] = rows
    .filter((r) => r.enough)
    .map((r) => ({ commitmentId: BigInt(r.commitmentId), index: r.index }));
  const signedOut = states.filter((s) => s.reachable && !s.signedIn);
  const busy = claim.isPending || gasless.isPending || signIn.isPending;
  const actions: ClaimActions = { claim, gasless, relayerOn, busy };

  return (
    <>
      <PageHeading>Claims and oracles</PageHeading>
      <p>
        This vault releases a milestone when {threshold} of its{" "}
        {oracleSet.data?.oracles.length ?? deployment.oracles.length} oracles sign that it was met. Each
        oracle checks your workouts on its own: upload to all of them (the Workouts page does), sign in to
        each.
      </p>
      <section className="card" aria-labelledby="oracles-h">
        <h2 id="oracles-h">Oracles</h2>
        <OracleList states={states} />
        {signedOut.length > 0 ? (
          <p>
            <button
              type="button"
              onClick={() =>
                signIn.mutate({ agents: signedOut.map((s) => s.agent), known: states.map((s) => s.agent) })
              }
              disabled={busy}
            >
              Sign in to {signedOut.length} oracle{signedOut.length === 1 ? "" : "s"}
            </button>{" "}
            <span className="hint">one signature each: every oracle checks its own sign-in</span>
          </p>
        ) : null}
        {signIn.isPending ? <p role="status">Signing in to the oracles…</p> : null}
        <ErrorAlert error={signIn.error} />
      </section>

      <section className="card" aria-labelledby="verdicts-h">
        <h2 id="verdicts-h">Each oracle's verdict</h2>
        <VerdictTable rows={rows} states={states} threshold={threshold} />
      </section>

      {claimable.length > 0 ? <ClaimSection rows={rows} claimable={claimable} actions={actions} /> : null}
      <ClaimNotices actions={actions} threshold={threshold} />
    </>
  );
}
