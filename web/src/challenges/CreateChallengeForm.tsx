/**
 * Create a challenge (anyone may: `createChallenge` has no role): the rules, the stake every participant puts
 * in, the schedule, when joining closes, how many may join, the fee on the pot and who receives the pot when
 * nobody finishes. Creating costs only gas: the creator joins like anyone else. What was typed stays whatever
 * fails.
 */
import { useId, useRef, useState } from "react";
import { useConnection } from "wagmi";
import { SPORTS, type Sport } from "../api/schemas.ts";
import type { Deployment } from "../chain/deployments.ts";
import { nextMonday, PERIOD_UNITS, type PeriodUnit } from "../commitment/commitmentForm.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { formatAmount } from "../format/amount.ts";
import { formatDateTime, formatPeriod, fromUnix, toDateTimeLocal } from "../format/time.ts";
import { useChainTime } from "../hooks/useChainTime.ts";
import {
  type ChallengeFormErrors,
  type ChallengeFormField,
  type ChallengeFormValues,
  formatFee,
  validateChallenge,
} from "./challengeLogic.ts";
import { Field } from "../components/Field.tsx";
import { poolOf, useCreateChallenge } from "./useChallengeActions.ts";

const SPORT_LABEL: Record<Sport, string> = {
  run: "Run",
  ride: "Ride",
  walk: "Walk",
  swim: "Swim",
  strength: "Strength",
  row: "Row",
  other: "Other",
};

function initialValues(feeRecipient: string): ChallengeFormValues {
  const start = nextMonday(new Date());
  start.setHours(6);
  const joinDeadline = new Date(start.getTime() - 3600_000);
  return {
    minWorkouts: "3",
    minMinutes: "30",
    activities: ["run", "ride"],
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    evidence: "device",
    asset: "ETH",
    amount: "0.1",
    start: toDateTimeLocal(start),
    periodCount: "1",
    periodUnit: "weeks",
    milestones: "4",
    graceHours: "48",
    beneficiary: "",
    joinDeadline: toDateTimeLocal(joinDeadline),
    maxParticipants: "20",
    feePercent: "0",
    feeRecipient,
  };
}

export function CreateChallengeForm({
  deployment,
  onCreated,
}: {
  deployment: Deployment;
  onCreated: (challengeId: bigint) => void;
}) {
  const uid = useId();
  const { address } = useConnection();
  const [values, setValues] = useState<ChallengeFormValues>(() => initialValues(address ?? ""));
  const [errors, setErrors] = useState<ChallengeFormErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const chainTime = useChainTime(deployment.chainId);
  const create = useCreateChallenge(deployment, address);
  const chainNow = Math.max(chainTime.data?.blockTime ?? 0, Math.floor(Date.now() / 1000));
  const validation = validateChallenge({
    values,
    tokens: deployment.tokens,
    pool: poolOf(deployment),
    chainNow,
  });
  const shown = submitted ? errors : {};
  const fid = (name: ChallengeFormField) => `${uid}-${name}`;
  const set = <K extends ChallengeFormField>(key: K, value: ChallengeFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    if (submitted) setErrors((e) => ({ ...e, [key]: undefined }));
  };

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!validation.ok) {
      setErrors(validation.errors);
      const first = Object.keys(validation.errors)[0] as ChallengeFormField | undefined;
      if (first) formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(fid(first))}`)?.focus();
      return;
    }
    setErrors({});
    create.mutate(validation.value, { onSuccess: ({ challengeId }) => onCreated(challengeId) });
  };

  const text = (name: ChallengeFormField, label: string, hint?: string, type = "text") => (
    <Field id={fid(name)} label={label} error={shown[name]} {...(hint ? { hint } : {})}>
      {(aria) => (
        <input
          {...aria}
          type={type}
          inputMode={
            type === "text" && !name.toLowerCase().includes("recipient") && name !== "beneficiary"
              ? "decimal"
              : undefined
          }
          value={values[name] as string}
          onChange={(e) => set(name, e.target.value as never)}
        />
      )}
    </Field>
  );
  const preview = validation.ok ? validation.value : undefined;

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate aria-label="Create a challenge" className="card">
      <h2>Create a challenge</h2>
      <p className="hint">
        Anyone may create one; it costs only gas. Every participant stakes the same amount with the same rules
        and schedule; the stakes of those who miss a window are split among those who finish every one.
      </p>
      {submitted && Object.values(errors).some(Boolean) ? (
        <div className="alert error" role="alert">
          <p>
            <strong>Check the highlighted fields.</strong> {Object.values(errors).filter(Boolean).length} need
            a change.
          </p>
        </div>
      ) : null}
      <fieldset>
        <legend>Rules</legend>
        <div className="row">
          {text("minWorkouts", "Workouts per window")}
          {text("minMinutes", "Minutes per workout (at least)")}
        </div>
        <fieldset aria-describedby={shown.activities ? `${fid("activities")}-error` : undefined}>
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
                      e.target.checked ? [...values.activities, s] : values.activities.filter((a) => a !== s),
                    )
                  }
                />
                {SPORT_LABEL[s]}
              </label>
            ))}
          </div>
          {shown.activities ? (
            <p className="field-error" id={`${fid("activities")}-error`}>
              {shown.activities}
            </p>
          ) : null}
        </fieldset>
        <div className="row">
          {text("timezone", "Time zone", "An IANA name, e.g. Europe/Berlin or UTC.")}
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
        <legend>Stake and schedule</legend>
        <div className="row">
          <Field id={fid("asset")} label="Asset" error={shown.asset}>
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
          {text("amount", "Stake per participant")}
        </div>
        <div className="row">
          {text("start", "First window opens", undefined, "datetime-local")}
          {text("joinDeadline", "Joining closes", "At or before the first window opens.", "datetime-local")}
        </div>
        <div className="row">
          {text("periodCount", "Window length")}
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
          {text("milestones", "Windows (milestones)")}
          {text("graceHours", "Grace to claim (hours)")}
        </div>
      </fieldset>
      <fieldset>
        <legend>Pool</legend>
        <div className="row">
          {text("maxParticipants", "Most participants", "2 to 10,000.")}
          {text("feePercent", "Fee on the pot (%)", "0 to 10 %, taken from the losers' stakes only.")}
        </div>
        {text("feeRecipient", "Fee recipient", "Receives the fee and the rounding dust.")}
        {text(
          "beneficiary",
          "Fallback beneficiary",
          "Receives the whole pot if nobody finishes, e.g. a charity.",
        )}
      </fieldset>
      {preview ? (
        <p className="hint" data-testid="challenge-preview">
          {preview.milestones} × {formatPeriod(preview.period)} from {formatDateTime(fromUnix(preview.start))}
          ; stake {formatAmount({ value: preview.stake, decimals: preview.decimals, symbol: preview.symbol })}{" "}
          each; fee {formatFee(preview.feeBps)}.
        </p>
      ) : null}
      {create.isPending ? <p role="status">Registering the rules and creating the challenge…</p> : null}
      <ErrorAlert error={create.error} />
      <button type="submit" disabled={create.isPending}>
        Create challenge
      </button>
    </form>
  );
}
