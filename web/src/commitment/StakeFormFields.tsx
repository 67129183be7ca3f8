/**
 * The fields the new-commitment and new-challenge forms share, with the same labels and ids: the rules
 * (workouts, minutes, activities, time zone, evidence), the asset, the window length unit, a text input in a
 * labelled `Field`, and the "check the highlighted fields" summary.
 */
import { isValidElement } from "react";
import { SPORTS, type Sport } from "../api/schemas.ts";
import type { DeployedToken } from "../chain/deployments.ts";
import { Field } from "../components/Field.tsx";
import {
  type CommitmentFormValues,
  type FormErrors,
  type FormField,
  PERIOD_UNITS,
  type PeriodUnit,
} from "./commitmentForm.ts";

const SPORT_LABEL: Record<Sport, string> = {
  run: "Run",
  ride: "Ride",
  walk: "Walk",
  swim: "Swim",
  strength: "Strength",
  row: "Row",
  other: "Other",
};

/** What the shared fields need from a form (commitment/useValidatedForm.ts) whose values extend the commitment's. */
export interface StakeForm {
  uid: string;
  values: CommitmentFormValues;
  shown: FormErrors;
  fid: (name: FormField) => string;
  // A method, so a form whose values extend the commitment's (the challenge form) fits as well.
  set<K extends FormField>(key: K, value: CommitmentFormValues[K]): void;
  bind: (name: FormField) => {
    id: string;
    error: string | undefined;
    value: string;
    onChange: (value: string) => void;
  };
}

type InputFieldProps = {
  id: string;
  label: string;
  error: string | undefined;
  hint?: string | undefined;
  value: string;
  onChange: (value: string) => void;
} & Pick<
  React.InputHTMLAttributes<HTMLInputElement>,
  "type" | "inputMode" | "autoComplete" | "spellCheck" | "placeholder"
>;

/** A text input in a labelled `Field`. */
export function InputField({ id, label, error, hint, value, onChange, ...input }: InputFieldProps) {
  return (
    <Field id={id} label={label} error={error} {...(hint ? { hint } : {})}>
      {(aria) => <input {...aria} {...input} value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

type BoundInput = Pick<InputFieldProps, "id" | "error" | "value" | "onChange">;

/** A text input of a fieldset: the form value it edits (`name`) and what the `InputField` shows. */
export type InputSpec<Name extends string> = { name: Name } & Omit<InputFieldProps, keyof BoundInput>;

/** A fieldset item: a text input bound to the form, or any other field (an element with a key). */
export type FieldsetItem<Name extends string> = InputSpec<Name> | React.ReactElement;

/** A fieldset's items in order; an array of items is one `.row` of fields side by side. */
export type FieldsetItems<Name extends string> = readonly (
  | FieldsetItem<Name>
  | readonly FieldsetItem<Name>[]
)[];

function isRow<Name extends string>(
  item: FieldsetItem<Name> | readonly FieldsetItem<Name>[],
): item is readonly FieldsetItem<Name>[] {
  return Array.isArray(item);
}

/** A fieldset of a stake form: its legend, then its items, text inputs bound through the form's `bind`. */
export function InputFieldset<Name extends string>({
  legend,
  bind,
  items,
}: {
  legend: string;
  bind: (name: Name) => BoundInput;
  items: FieldsetItems<Name>;
}) {
  const keyOf = (item: FieldsetItem<Name>) => (isValidElement(item) ? String(item.key) : item.name);
  const field = (item: FieldsetItem<Name>) => {
    if (isValidElement(item)) return item;
    const { name, ...input } = item;
    return <InputField key={name} {...input} {...bind(name)} />;
  };
  return (
    <fieldset>
      <legend>{legend}</legend>
      {items.map((item) =>
        isRow(item) ? (
          <div className="row" key={item.map(keyOf).join(" ")}>
            {item.map(field)}
          </div>
        ) : (
          field(item)
        ),
      )}
    </fieldset>
  );
}

export function ErrorSummary({ count, id }: { count: number; id?: string }) {
  if (count === 0) return null;
  return (
    <div className="alert error" role="alert" id={id}>
      <p>
        <strong>Check the highlighted fields.</strong> {count} need a change.
      </p>
    </div>
  );
}

function ActivitiesField({ form }: { form: StakeForm }) {
  const { values, shown, fid, set } = form;
  const errorId = `${fid("activities")}-error`;
  return (
    <fieldset aria-describedby={shown.activities ? errorId : undefined}>
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
        <p className="field-error" id={errorId}>
          {shown.activities}
        </p>
      ) : null}
    </fieldset>
  );
}

const EVIDENCE_CHOICES = [
  { value: "device", label: "Device files only" },
  { value: "any", label: "Manual logs count too" },
] as const satisfies readonly { value: CommitmentFormValues["evidence"]; label: string }[];

function EvidenceField({ form }: { form: StakeForm }) {
  const { uid, values, set } = form;
  return (
    <fieldset>
      <legend>Evidence</legend>
      <div className="choices">
        {EVIDENCE_CHOICES.map((choice) => (
          <label key={choice.value}>
            <input
              type="radio"
              name={`${uid}-evidence`}
              checked={values.evidence === choice.value}
              onChange={() => set("evidence", choice.value)}
            />
            {choice.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** The rules fieldset; `timezone` is the form's own time-zone field (a list, or free text). */
export function RulesFieldset({ form, timezone }: { form: StakeForm; timezone: FieldsetItem<FormField> }) {
  return (
    <InputFieldset
      legend="Rules"
      bind={form.bind}
      items={[
        [
          { name: "minWorkouts", label: "Workouts per window", inputMode: "numeric" },
          { name: "minMinutes", label: "Minutes per workout (at least)", inputMode: "numeric" },
        ],
        <ActivitiesField key="activities" form={form} />,
        [timezone, <EvidenceField key="evidence" form={form} />],
      ]}
    />
  );
}

export function AssetField({ form, tokens }: { form: StakeForm; tokens: readonly DeployedToken[] }) {
  return (
    <Field id={form.fid("asset")} label="Asset" error={form.shown.asset}>
      {(aria) => (
        <select {...aria} value={form.values.asset} onChange={(e) => form.set("asset", e.target.value)}>
          <option value="ETH">ETH</option>
          {tokens.map((t) => (
            <option key={t.address} value={t.address}>
              {t.symbol}
              {t.permit ? " (permit)" : ""}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function PeriodUnitField({ form }: { form: StakeForm }) {
  return (
    <Field id={form.fid("periodUnit")} label="Window length unit" error={undefined}>
      {(aria) => (
        <select
          {...aria}
          value={form.values.periodUnit}
          onChange={(e) => form.set("periodUnit", e.target.value as PeriodUnit)}
        >
          {Object.keys(PERIOD_UNITS).map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The window length: a count and its unit (hours, days, weeks). */
export function WindowLengthFields({
  form,
  inputMode,
}: {
  form: StakeForm;
  inputMode: "numeric" | "decimal";
}) {
  return (
    <>
      <InputField label="Window length" inputMode={inputMode} {...form.bind("periodCount")} />
      <PeriodUnitField form={form} />
    </>
  );
}
