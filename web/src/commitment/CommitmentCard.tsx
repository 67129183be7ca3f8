/**
 * One commitment on the dashboard: its milestone timeline, appeals, a countdown to the current window's claim
 * deadline, the current window's progress ring and chart (from the agent), and the buttons that apply: claim,
 * settle missed windows, appeal, expire an appeal, exit, cancel before the start.
 */
import { type Address, zeroAddress } from "viem";
import type { ApiCommitment } from "../api/schemas.ts";
import { CancelCommitment } from "../beneficiary/CancelCommitment.tsx";
import type { Deployment } from "../chain/deployments.ts";
import {
  APPEAL_PERIOD_SECONDS,
  appealMayExpire,
  canAppeal,
  currentMilestoneIndex,
  type MilestoneStatus,
  milestoneStatus,
  STATUS_LABEL,
} from "../chain/milestoneStatus.ts";
import type { CommitmentView } from "../chain/vaultReads.ts";
import { ChallengeBadge } from "../challenges/ChallengeBadge.tsx";
import { ProgressRing } from "../components/ProgressRing.tsx";
import { formatAmount } from "../format/amount.ts";
import { formatCountdown, formatDateTime, formatPeriod, fromUnix } from "../format/time.ts";
import { useCountdown } from "../hooks/useNow.ts";
import { ProgressChart } from "../progress/ProgressChart.tsx";
import { shapeProgressChart } from "../progress/progressChart.ts";
import { ReleasedBy } from "./ReleasedBy.tsx";
import type { AppealRef } from "./useMilestoneAppeals.ts";
import type { MilestoneRef } from "./useSettleMilestones.ts";

export interface TokenMeta {
  symbol: string;
  decimals: number;
}

export function tokenMeta(deployment: Deployment, token: Address): TokenMeta {
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

export interface CardProps {
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

type MilestoneWithStatus = CommitmentView["milestones"][number] & { status: MilestoneStatus };

/** What the card shows, derived from the chain's view, the agent's and the time. */
function cardModel({ commitment: c, api, nowSec, paused, exitAvailable, account }: CardProps) {
  const statuses: MilestoneWithStatus[] = c.milestones.map((m) => ({
    ...m,
    status: milestoneStatus(m.state, m, nowSec),
  }));
  const current = currentMilestoneIndex(statuses);
  // No chart for a cancelled commitment (every milestone refunded before anything started).
  const cancelled = c.closed && c.milestones.every((m) => m.state === "refunded");
  return {
    statuses,
    current,
    currentMilestone: current === undefined ? undefined : statuses[current],
    apiCurrent: current === undefined ? undefined : api?.milestones.find((m) => m.index === current),
    claimable: (api?.milestones ?? [])
      .filter((m) => m.claimable && statuses[m.index]?.state === "open")
      .map((m) => ({ commitmentId: c.id, index: m.index })),
    missed: statuses
      .filter((m) => m.status === "missed")
      .map((m) => ({ commitmentId: c.id, index: m.index })),
    appealable: statuses.filter((m) => !c.closed && canAppeal(m.status, paused)),
    appeals: statuses.filter((m) => m.appeal !== null),
    // Exit only changes something while a milestone is still unsettled.
    canExit:
      exitAvailable && !c.closed && c.milestones.some((m) => m.state === "open" || m.state === "appealed"),
    chart:
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
        : null,
    beforeStart: nowSec < c.start && account !== undefined && account === c.owner,
  };
}

type CardModel = ReturnType<typeof cardModel>;

function AppealList({
  props,
  appeals,
  fmt,
}: {
  props: CardProps;
  appeals: MilestoneWithStatus[];
  fmt: (value: bigint) => string;
}) {
  const { commitment: c, nowSec, paused, busy, onExpireAppeal } = props;
  return (
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
  );
}

/** The current window: a countdown to its opening or its claim deadline, and its progress. */
function CurrentWindow({ props, model }: { props: CardProps; model: CardModel }) {
  const { offsetMs, signedIn } = props;
  const { current, currentMilestone, apiCurrent } = model;
  const n = current === undefined ? "" : current + 1;
  return (
    <>
      {currentMilestone ? (
        currentMilestone.status === "upcoming" ? (
          <Countdown
            deadline={currentMilestone.windowStart}
            offsetMs={offsetMs}
            label={`Window ${n} opens in`}
          />
        ) : (
          <Countdown
            deadline={currentMilestone.claimDeadline}
            offsetMs={offsetMs}
            label={`Claim deadline of window ${n}`}
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
    </>
  );
}

function CardActions({
  props,
  model,
  fmt,
}: {
  props: CardProps;
  model: CardModel;
  fmt: (value: bigint) => string;
}) {
  const { commitment: c, busy, onClaim, onSlash, onAppeal, onExit } = props;
  const { claimable, missed, appealable, canExit } = model;
  return (
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
  );
}

export function CommitmentCard(props: CardProps) {
  const { deployment, commitment: c, account } = props;
  const meta = tokenMeta(deployment, c.token);
  const fmt = (value: bigint) => formatAmount({ value, ...meta });
  const model = cardModel(props);
  const headingId = `commitment-${c.id}`;
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
        {model.statuses.map((m) => (
          <li key={m.index} className={`st-${m.status}`} data-status={m.status}>
            {m.index + 1}: {STATUS_LABEL[m.status]} · {fmt(m.amount)}
            {m.status === "released" ? (
              <ReleasedBy deployment={deployment} owner={c.owner} commitmentId={c.id} index={m.index} />
            ) : null}
          </li>
        ))}
      </ol>
      {model.appeals.length > 0 ? <AppealList props={props} appeals={model.appeals} fmt={fmt} /> : null}
      <CurrentWindow props={props} model={model} />
      {model.chart ? <ProgressChart commitmentId={c.id} data={model.chart} /> : null}
      {model.beforeStart ? (
        <CancelCommitment
          deployment={deployment}
          account={account}
          commitmentId={c.id}
          amount={c.amount}
          formatted={fmt(c.amount)}
          closed={c.closed}
        />
      ) : null}
      <CardActions props={props} model={model} fmt={fmt} />
    </article>
  );
}
