/**
 * New commitment: rules, stake (ETH or an allowlisted token, with the balance), schedule, beneficiary, a review
 * with the exact amount of every milestone and the rulesHash computed here, then the transaction steps.
 * What was typed stays in the form whatever fails.
 */
import { useId, useMemo, useRef, useState } from "react";
import { formatUnits } from "viem";
import { useBalance, useConnection, useReadContract } from "wagmi";
import { mockERC20PermitAbi } from "../../../deployments/abi.ts";
import { SPORTS, type Sport } from "../api/schemas.ts";
import type { Deployment } from "../chain/deployments.ts";
import {
  type CommitmentFormValues,
  type FormErrors,
  type FormField,
  nextMonday,
  PERIOD_UNITS,
  type PeriodUnit,
  validateCommitment,
} from "../commitment/commitmentForm.ts";
import { type FlowStep, useCreateCommitment } from "../commitment/useCreateCommitment.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { Field } from "../components/Field.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { formatAmount, milestoneShares } from "../format/amount.ts";
import { formatDateTime, formatPeriod, fromUnix, toDateTimeLocal } from "../format/time.ts";
import { useChainTime } from "../hooks/useChainTime.ts";
import { rulesHashOf } from "../rules/rulesHash.ts";

const SPORT_LABEL: Record<Sport, string> = {
  run: "Run",
  ride: "Ride",
  walk: "Walk",
  swim: "Swim",
  strength: "Strength",
  row: "Row",
  other: "Other",
};

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  const list = supported ? supported("timeZone") : [];
  return list.includes("UTC") ? list : ["UTC", ...list];
}

function initialValues(): CommitmentFormValues {
  const start = nextMonday(new Date());
  start.setHours(6);
  return {
    minWorkouts: "3",
    minMinutes: "30",
    activities: ["run", "ride", "strength"],
    timezone: browserTimeZone(),
    evidence: "device",
    asset: "ETH",
    amount: "0.1",
    start: toDateTimeLocal(start),
    periodCount: "1",
    periodUnit: "weeks",
    milestones: "8",
    graceHours: "48",
    beneficiary: "",
  };
}

function Steps({ steps }: { steps: FlowStep[] }) {
  return (
    <ol className="steps" aria-label="Progress">
      {steps.map((s) => (
        <li key={s.id} className={s.status === "skipped" ? "done" : s.status}>
          {s.label}
          {s.status === "active" ? " (in progress)" : s.status === "done" ? " (done)" : ""}
          {s.detail ? (
            <>
              {" — "}
              <span className="mono">{s.detail}</span>
            </>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

export default function NewCommitment({ deployment }: { deployment: Deployment }) {
  const uid = useId();
  const { address } = useConnection();
  const [values, setValues] = useState<CommitmentFormValues>(initialValues);
  const [errors, setErrors] = useState<FormErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const chainTime = useChainTime(deployment.chainId);
  const flow = useCreateCommitment(deployment);
  const zones = useMemo(timeZones, []);

  const token = deployment.tokens.find((t) => t.address === values.asset);
  const ethBalance = useBalance({
    address,
    chainId: deployment.chainId,
    query: { enabled: token === undefined },
  });
  const tokenBalance = useReadContract({
    chainId: deployment.chainId,
    address: token?.address,
    abi: mockERC20PermitAbi,
    functionName: "balanceOf",
    args: address ? [address] : undefined,
    query: { enabled: token !== undefined && address !== undefined },
  });
  const balance = token === undefined ? ethBalance.data?.value : tokenBalance.data;
  const symbol = token?.symbol ?? "ETH";
  const decimals = token?.decimals ?? 18;

  // The next block's time is at least the wall clock (a quiet local chain's latest block can be old).
  const chainNow = Math.max(chainTime.data?.blockTime ?? 0, Math.floor(Date.now() / 1000));
  const validation = validateCommitment({
    values,
    tokens: deployment.tokens,
    owner: address,
    vault: deployment.vault.address,
    chainNow,
    balance,
  });
  const shownErrors = submitted ? errors : {};
  const preview = validation.ok ? validation.value : undefined;
  const rulesHash = preview ? rulesHashOf(preview.rules).rulesHash : undefined;

  const set = <K extends FormField>(key: K, value: CommitmentFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    if (submitted) setErrors((e) => ({ ...e, [key]: undefined }));
  };
  const fid = (name: FormField) => `${uid}-${name}`;
  const busy = flow.state.phase === "running";

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!validation.ok) {
      setErrors(validation.errors);
      const first = Object.keys(validation.errors)[0] as FormField | undefined;
      if (first) formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(fid(first))}`)?.focus();
      return;
    }
    setErrors({});
    if (address !== undefined) void flow.run(validation.value, address);
  };

  if (flow.state.phase === "confirmed") {
    return (
      <>
        <PageHeading>Commitment created</PageHeading>
        <div className="alert ok" role="status">
          <p>
            <strong>Confirmed.</strong> Commitment #{flow.state.commitmentId.toString()} holds your stake.
          </p>
          <p>
            Transaction <span className="mono">{flow.state.txHash}</span>
          </p>
        </div>
        <Steps steps={flow.state.steps} />
        <p>
          <a href="#/">Go to the dashboard</a> ·{" "}
          <button type="button" className="link" onClick={flow.reset}>
            Create another
          </button>
        </p>
      </>
    );
  }

  return (
    <>
      <PageHeading>New commitment</PageHeading>
      <form ref={formRef} onSubmit={onSubmit} noValidate aria-describedby={`${uid}-summary`}>
        {submitted && Object.values(errors).some(Boolean) ? (
          <div className="alert error" role="alert" id={`${uid}-summary`}>
            <p>
              <strong>Check the highlighted fields.</strong> {Object.values(errors).filter(Boolean).length}{" "}
              need a change.
            </p>
          </div>
        ) : null}

        <fieldset>
          <legend>Rules</legend>
          <div className="row">
            <Field id={fid("minWorkouts")} label="Workouts per window" error={shownErrors.minWorkouts}>
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={values.minWorkouts}
                  onChange={(e) => set("minWorkouts", e.target.value)}
                />
              )}
            </Field>
            <Field
              id={fid("minMinutes")}
              label="Minutes per workout (at least)"
              error={shownErrors.minMinutes}
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={values.minMinutes}
                  onChange={(e) => set("minMinutes", e.target.value)}
                />
              )}
            </Field>
          </div>
          <fieldset aria-describedby={shownErrors.activities ? `${fid("activities")}-error` : undefined}>
            <legend>Activities that count</legend>
            <div className="choices" id={fid("activities")} tabIndex={-1}>
              {SPORTS.map((s) => (
                <label key={s}>
                  <input
                    type="checkbox"
                    checked={values.activities.includes(s)}
                    onChange={(e) =>
                      set(
                        "activities",
                        e.target.checked
                          ? [...values.activities, s]
                          : values.activities.filter((a) => a !== s),
                      )
                    }
                  />
                  {SPORT_LABEL[s]}
                </label>
              ))}
            </div>
            {shownErrors.activities ? (
              <p className="field-error" id={`${fid("activities")}-error`}>
                {shownErrors.activities}
              </p>
            ) : null}
          </fieldset>
          <div className="row">
            <Field
              id={fid("timezone")}
              label="Time zone"
              error={shownErrors.timezone}
              hint="Windows and workouts are counted in this time zone."
            >
              {(aria) => (
                <select {...aria} value={values.timezone} onChange={(e) => set("timezone", e.target.value)}>
                  {(zones.includes(values.timezone) ? zones : [values.timezone, ...zones]).map((z) => (
                    <option key={z} value={z}>
                      {z}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <fieldset>
              <legend>Evidence</legend>
              <div className="choices">
                <label>
                  <input
                    type="radio"
                    name={`${uid}-evidence`}
                    checked={values.evidence === "device"}
                    onChange={() => set("evidence", "device")}
                  />
                  Device files only
                </label>
                <label>
                  <input
                    type="radio"
                    name={`${uid}-evidence`}
                    checked={values.evidence === "any"}
                    onChange={() => set("evidence", "any")}
                  />
                  Manual logs count too
                </label>
              </div>
            </fieldset>
          </div>
        </fieldset>

        <fieldset>
          <legend>Stake</legend>
          <div className="row">
            <Field id={fid("asset")} label="Asset" error={shownErrors.asset}>
              {(aria) => (
                <select {...aria} value={values.asset} onChange={(e) => set("asset", e.target.value)}>
                  <option value="ETH">ETH</option>
                  {deployment.tokens.map((t) => (
                    <option key={t.address} value={t.address}>
                      {t.symbol}
                      {t.permit ? " (permit)" : ""}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              id={fid("amount")}
              label={`Amount (${symbol})`}
              error={shownErrors.amount}
              hint={
                balance === undefined
                  ? "Balance: loading…"
                  : `Balance: ${formatAmount({ value: balance, decimals, symbol })}`
              }
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="decimal"
                  autoComplete="off"
                  value={values.amount}
                  onChange={(e) => set("amount", e.target.value)}
                />
              )}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Schedule</legend>
          <div className="row">
            <Field id={fid("start")} label="First window opens" error={shownErrors.start}>
              {(aria) => (
                <input
                  {...aria}
                  type="datetime-local"
                  value={values.start}
                  onChange={(e) => set("start", e.target.value)}
                />
              )}
            </Field>
            <Field
              id={fid("milestones")}
              label="Number of windows (milestones)"
              error={shownErrors.milestones}
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={values.milestones}
                  onChange={(e) => set("milestones", e.target.value)}
                />
              )}
            </Field>
          </div>
          <div className="row">
            <Field id={fid("periodCount")} label="Window length" error={shownErrors.periodCount}>
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={values.periodCount}
                  onChange={(e) => set("periodCount", e.target.value)}
                />
              )}
            </Field>
            <Field id={fid("periodUnit")} label="Window length unit" error={undefined}>
              {(aria) => (
                <select
                  {...aria}
                  value={values.periodUnit}
                  onChange={(e) => set("periodUnit", e.target.value as PeriodUnit)}
                >
                  {Object.keys(PERIOD_UNITS).map((u) => (
                    <option key={u} value={u}>
                      {u}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              id={fid("graceHours")}
              label="Grace (hours)"
              error={shownErrors.graceHours}
              hint="Time after a window closes during which it can still be claimed."
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={values.graceHours}
                  onChange={(e) => set("graceHours", e.target.value)}
                />
              )}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Beneficiary</legend>
          <Field
            id={fid("beneficiary")}
            label="Who receives a missed window’s share"
            error={shownErrors.beneficiary}
            hint="A charity, a friend, anyone but you: a 0x address."
          >
            {(aria) => (
              <input
                {...aria}
                autoComplete="off"
                spellCheck={false}
                placeholder="0x…"
                value={values.beneficiary}
                onChange={(e) => set("beneficiary", e.target.value)}
              />
            )}
          </Field>
        </fieldset>

        <section className="card" aria-labelledby={`${uid}-review`}>
          <h2 id={`${uid}-review`}>Review</h2>
          {preview && rulesHash ? (
            <>
              <p>
                {preview.rules.perMilestone.minWorkouts} workout(s) of at least{" "}
                {preview.rules.perMilestone.minMinutes} min (
                {preview.rules.perMilestone.activities.join(", ")}) every {formatPeriod(preview.period)},
                counted in {preview.rules.timezone}; evidence:{" "}
                {preview.rules.evidence === "device" ? "device files" : "any"}.
              </p>
              <p>
                Rules hash: <code data-testid="rules-hash">{rulesHash}</code>
              </p>
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
                    {milestoneShares(preview.amount, preview.milestones).map((share, i) => (
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

        {flow.state.phase !== "idle" ? <Steps steps={flow.state.steps} /> : null}
        {flow.state.phase === "failed" ? <ErrorAlert error={flow.state.error} /> : null}
        <button type="submit" disabled={busy}>
          {busy ? "Working…" : flow.state.phase === "failed" ? "Try again" : "Create commitment"}
        </button>
      </form>
    </>
  );
}
