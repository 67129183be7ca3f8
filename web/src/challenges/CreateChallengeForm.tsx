/**
 * Create a challenge (anyone may: `createChallenge` has no role): the rules, the stake every participant puts
 * in, the schedule, when joining closes, how many may join, the fee on the pot and who receives the pot when
 * nobody finishes. Creating costs only gas: the creator joins like anyone else. What was typed stays whatever
 * fails.
 */
import { useConnection } from "wagmi";
import type { Deployment } from "../chain/deployments.ts";
import { firstWindowStart, stakeFormDefaults } from "../commitment/commitmentForm.ts";
import {
  AssetField,
  ErrorSummary,
  type FieldsetItems,
  InputFieldset,
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
  const start = firstWindowStart(new Date());
  return {
    ...stakeFormDefaults(start, { activities: ["run", "ride"], milestones: "4" }),
    joinDeadline: toDateTimeLocal(new Date(start.getTime() - 3600_000)),
    maxParticipants: "20",
    feePercent: "0",
    feeRecipient,
  };
}

type ChallengeForm = ReturnType<typeof useValidatedForm<ChallengeFormValues>>;
type ChallengeField = keyof ChallengeFormValues;

/** Stake and schedule: the asset, the stake each participant puts in, when windows open and joining closes. */
function stakeAndScheduleItems(form: ChallengeForm, deployment: Deployment): FieldsetItems<ChallengeField> {
  const joinDeadline = "At or before the first window opens.";
  return [
    [
      <AssetField key="asset" form={form} tokens={deployment.tokens} />,
      { name: "amount", label: "Stake per participant", inputMode: "decimal" },
    ],
    [
      { name: "start", label: "First window opens", type: "datetime-local" },
      { name: "joinDeadline", label: "Joining closes", hint: joinDeadline, type: "datetime-local" },
    ],
    [
      <WindowLengthFields key="period" form={form} inputMode="decimal" />,
      { name: "milestones", label: "Windows (milestones)", inputMode: "decimal" },
      { name: "graceHours", label: "Grace to claim (hours)", inputMode: "decimal" },
    ],
  ];
}

/** The pool's own terms: capacity, fee and its recipient, and who receives the pot when nobody finishes. */
const POOL_ITEMS: FieldsetItems<ChallengeField> = [
  [
    { name: "maxParticipants", label: "Most participants", hint: "2 to 10,000.", inputMode: "decimal" },
    {
      name: "feePercent",
      label: "Fee on the pot (%)",
      hint: "0 to 10 %, taken from the losers' stakes only.",
      inputMode: "decimal",
    },
  ],
  { name: "feeRecipient", label: "Fee recipient", hint: "Receives the fee and the rounding dust." },
  {
    name: "beneficiary",
    label: "Fallback beneficiary",
    hint: "Receives the whole pot if nobody finishes, e.g. a charity.",
  },
];

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
        timezone={{ name: "timezone", label: "Time zone", hint: "An IANA name, e.g. Europe/Berlin or UTC." }}
      />
      <InputFieldset
        legend="Stake and schedule"
        bind={form.bind}
        items={stakeAndScheduleItems(form, deployment)}
      />
      <InputFieldset legend="Pool" bind={form.bind} items={POOL_ITEMS} />
      {validation.ok ? <ChallengePreview preview={validation.value} /> : null}
      {create.isPending ? <p role="status">Registering the rules and creating the challenge…</p> : null}
      <ErrorAlert error={create.error} />
      <button type="submit" disabled={create.isPending}>
        Create challenge
      </button>
    </form>
  );
}
