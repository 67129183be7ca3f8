/**
 * New commitment: rules, stake (ETH or an allowlisted token, with the balance), schedule, beneficiary, a review
 * with the exact amount of every milestone and the rulesHash computed here, then the transaction steps.
 * What was typed stays in the form whatever fails.
 */
import { useMemo } from "react";
import { useConnection } from "wagmi";
import type { Deployment } from "../chain/deployments.ts";
import { CommitmentCreated } from "../commitment/CommitmentCreated.tsx";
import { CommitmentReview } from "../commitment/CommitmentReview.tsx";
import {
  type CommitmentFormValues,
  type FormField,
  firstWindowStart,
  stakeFormDefaults,
  validateCommitment,
} from "../commitment/commitmentForm.ts";
import {
  AssetField,
  ErrorSummary,
  type FieldsetItems,
  InputFieldset,
  type InputSpec,
  RulesFieldset,
  type StakeForm,
  WindowLengthFields,
} from "../commitment/StakeFormFields.tsx";
import { useCreateCommitment } from "../commitment/useCreateCommitment.ts";
import { type StakeBalance, useStakeBalance } from "../commitment/useStakeBalance.ts";
import { useValidatedForm } from "../commitment/useValidatedForm.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { Field } from "../components/Field.tsx";
import { PageHeading } from "../components/PageHeading.tsx";
import { Steps } from "../components/Steps.tsx";
import { formatAmount } from "../format/amount.ts";
import { useChainTime } from "../hooks/useChainTime.ts";

function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  const list = supported ? supported("timeZone") : [];
  return list.includes("UTC") ? list : ["UTC", ...list];
}

function initialValues(): CommitmentFormValues {
  return stakeFormDefaults(firstWindowStart(new Date()), {
    activities: ["run", "ride", "strength"],
    milestones: "8",
  });
}

function TimeZoneField({ form }: { form: StakeForm }) {
  const zones = useMemo(timeZones, []);
  const { timezone } = form.values;
  return (
    <Field
      id={form.fid("timezone")}
      label="Time zone"
      error={form.shown.timezone}
      hint="Windows and workouts are counted in this time zone."
    >
      {(aria) => (
        <select {...aria} value={timezone} onChange={(e) => form.set("timezone", e.target.value)}>
          {(zones.includes(timezone) ? zones : [timezone, ...zones]).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The stake: the asset and the amount, with the account's balance of it. */
function stakeItems(form: StakeForm, deployment: Deployment, stake: StakeBalance): FieldsetItems<FormField> {
  const { balance, decimals, symbol } = stake;
  const hint =
    balance === undefined
      ? "Balance: loading…"
      : `Balance: ${formatAmount({ value: balance, decimals, symbol })}`;
  const amount: InputSpec<FormField> = {
    name: "amount",
    label: `Amount (${symbol})`,
    hint,
    inputMode: "decimal",
    autoComplete: "off",
  };
  return [[<AssetField key="asset" form={form} tokens={deployment.tokens} />, amount]];
}

/** When the windows open, how many there are, how long each is, and the grace to claim one. */
function scheduleItems(form: StakeForm): FieldsetItems<FormField> {
  return [
    [
      { name: "start", label: "First window opens", type: "datetime-local" },
      { name: "milestones", label: "Number of windows (milestones)", inputMode: "numeric" },
    ],
    [
      <WindowLengthFields key="period" form={form} inputMode="numeric" />,
      {
        name: "graceHours",
        label: "Grace (hours)",
        hint: "Time after a window closes during which it can still be claimed.",
        inputMode: "numeric",
      },
    ],
  ];
}

const BENEFICIARY_ITEMS: FieldsetItems<FormField> = [
  {
    name: "beneficiary",
    label: "Who receives a missed window’s share",
    hint: "A charity, a friend, anyone but you: a 0x address.",
    autoComplete: "off",
    spellCheck: false,
    placeholder: "0x…",
  },
];

export default function NewCommitment({ deployment }: { deployment: Deployment }) {
  const { address } = useConnection();
  const form = useValidatedForm(initialValues);
  const chainTime = useChainTime(deployment.chainId);
  const flow = useCreateCommitment(deployment);
  const stake = useStakeBalance(deployment, form.values.asset, address);

  // The next block's time is at least the wall clock (a quiet local chain's latest block can be old).
  const chainNow = Math.max(chainTime.data?.blockTime ?? 0, Math.floor(Date.now() / 1000));
  const validation = validateCommitment({
    values: form.values,
    tokens: deployment.tokens,
    owner: address,
    vault: deployment.vault.address,
    chainNow,
    balance: stake.balance,
  });
  const busy = flow.state.phase === "running";
  const onSubmit = form.submit(validation, (value) => {
    if (address !== undefined) void flow.run(value, address);
  });

  if (flow.state.phase === "confirmed") {
    return (
      <CommitmentCreated
        commitmentId={flow.state.commitmentId}
        txHash={flow.state.txHash}
        steps={flow.state.steps}
        onCreateAnother={flow.reset}
      />
    );
  }

  return (
    <>
      <PageHeading>New commitment</PageHeading>
      <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-describedby={`${form.uid}-summary`}>
        <ErrorSummary count={form.errorCount} id={`${form.uid}-summary`} />
        <RulesFieldset form={form} timezone={<TimeZoneField key="timezone" form={form} />} />
        <InputFieldset legend="Stake" bind={form.bind} items={stakeItems(form, deployment, stake)} />
        <InputFieldset legend="Schedule" bind={form.bind} items={scheduleItems(form)} />
        <InputFieldset legend="Beneficiary" bind={form.bind} items={BENEFICIARY_ITEMS} />
        <CommitmentReview id={`${form.uid}-review`} preview={validation.ok ? validation.value : undefined} />
        {flow.state.phase !== "idle" ? (
          <Steps steps={flow.state.steps} label="Progress" sayWhenSkipped={false} />
        ) : null}
        {flow.state.phase === "failed" ? <ErrorAlert error={flow.state.error} /> : null}
        <button type="submit" disabled={busy}>
          {busy ? "Working…" : flow.state.phase === "failed" ? "Try again" : "Create commitment"}
        </button>
      </form>
    </>
  );
}
