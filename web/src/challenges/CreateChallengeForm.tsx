/**
 * Create a challenge (anyone may: `createChallenge` has no role): the rules, the stake every participant puts
 * in, the schedule, when joining closes, how many may join, the fee on the pot and who receives the pot when
 * nobody finishes. Creating costs only gas: the creator joins like anyone else. What was typed stays whatever
 * fails.
 */
import { useConnection } from "wagmi";
import type { Deployment } from "../chain/deployments.ts";
import { nextMonday } from "../commitment/commitmentForm.ts";
import {
  AssetField,
  ErrorSummary,
  InputField,
  RulesFieldset,
  WindowLengthFields,
} from "../commitment/StakeFormFields.tsx";
import { useValidatedForm } from "../commitment/useValidatedForm.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { formatAmount } from "../format/amount.ts";
import { formatDateTime, formatPeriod, fromUnix, toDateTimeLocal } from "../format/time.ts";
import { useChainTime } from "../hooks/useChainTime.ts";
import {
  type ChallengeFormValues,
  formatFee,
  type ValidChallenge,
  validateChallenge,
} from "./challengeLogic.ts";
import { poolOf, useCreateChallenge } from "./useChallengeActions.ts";

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

type ChallengeForm = ReturnType<typeof useValidatedForm<ChallengeFormValues>>;

/** Stake and schedule: the asset, the stake each participant puts in, when windows open and joining closes. */
function StakeAndScheduleFieldset({ form, deployment }: { form: ChallengeForm; deployment: Deployment }) {
  return (
    <fieldset>
      <legend>Stake and schedule</legend>
      <div className="row">
        <AssetField form={form} tokens={deployment.tokens} />
        <InputField label="Stake per participant" inputMode="decimal" {...form.bind("amount")} />
      </div>
      <div className="row">
        <InputField label="First window opens" type="datetime-local" {...form.bind("start")} />
        <InputField
          label="Joining closes"
          hint="At or before the first window opens."
          type="datetime-local"
          {...form.bind("joinDeadline")}
        />
      </div>
      <div className="row">
        <WindowLengthFields form={form} inputMode="decimal" />
        <InputField label="Windows (milestones)" inputMode="decimal" {...form.bind("milestones")} />
        <InputField label="Grace to claim (hours)" inputMode="decimal" {...form.bind("graceHours")} />
      </div>
    </fieldset>
  );
}

/** The pool's own terms: capacity, fee and its recipient, and who receives the pot when nobody finishes. */
function PoolFieldset({ form }: { form: ChallengeForm }) {
  return (
    <fieldset>
      <legend>Pool</legend>
      <div className="row">
        <InputField
          label="Most participants"
          hint="2 to 10,000."
          inputMode="decimal"
          {...form.bind("maxParticipants")}
        />
        <InputField
          label="Fee on the pot (%)"
          hint="0 to 10 %, taken from the losers' stakes only."
          inputMode="decimal"
          {...form.bind("feePercent")}
        />
      </div>
      <InputField
        label="Fee recipient"
        hint="Receives the fee and the rounding dust."
        {...form.bind("feeRecipient")}
      />
      <InputField
        label="Fallback beneficiary"
        hint="Receives the whole pot if nobody finishes, e.g. a charity."
        {...form.bind("beneficiary")}
      />
    </fieldset>
  );
}

function ChallengePreview({ preview }: { preview: ValidChallenge }) {
  return (
    <p className="hint" data-testid="challenge-preview">
      {`${preview.milestones} × ${formatPeriod(preview.period)} from ${formatDateTime(fromUnix(preview.start))}; `}
      {`stake ${formatAmount({ value: preview.stake, decimals: preview.decimals, symbol: preview.symbol })} each; `}
      {`fee ${formatFee(preview.feeBps)}.`}
    </p>
  );
}

export function CreateChallengeForm({
  deployment,
  onCreated,
}: {
  deployment: Deployment;
  onCreated: (challengeId: bigint) => void;
}) {
  const { address } = useConnection();
  const form = useValidatedForm(() => initialValues(address ?? ""));
  const chainTime = useChainTime(deployment.chainId);
  const create = useCreateChallenge(deployment, address);
  const chainNow = Math.max(chainTime.data?.blockTime ?? 0, Math.floor(Date.now() / 1000));
  const validation = validateChallenge({
    values: form.values,
    tokens: deployment.tokens,
    pool: poolOf(deployment),
    chainNow,
  });
  const onSubmit = form.submit(validation, (value) =>
    create.mutate(value, { onSuccess: ({ challengeId }) => onCreated(challengeId) }),
  );

  return (
    <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-label="Create a challenge" className="card">
      <h2>Create a challenge</h2>
      <p className="hint">
        Anyone may create one; it costs only gas. Every participant stakes the same amount with the same rules
        and schedule; the stakes of those who miss a window are split among those who finish every one.
      </p>
      <ErrorSummary count={form.errorCount} />
      <RulesFieldset
        form={form}
        timezone={
          <InputField
            label="Time zone"
            hint="An IANA name, e.g. Europe/Berlin or UTC."
            {...form.bind("timezone")}
          />
        }
      />
      <StakeAndScheduleFieldset form={form} deployment={deployment} />
      <PoolFieldset form={form} />
      {validation.ok ? <ChallengePreview preview={validation.value} /> : null}
      {create.isPending ? <p role="status">Registering the rules and creating the challenge…</p> : null}
      <ErrorAlert error={create.error} />
      <button type="submit" disabled={create.isPending}>
        Create challenge
      </button>
    </form>
  );
}
