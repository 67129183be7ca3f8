/**
 * The new-commitment form as plain data: its fields as typed, validation into the vault's
 * `CommitmentParams` and the rules document, with one message per wrong field (the form shows them inline and
 * keeps what was typed).
 */
import {
  type CommitmentTerms,
  MAX_GRACE_SECONDS,
  MAX_MILESTONES,
  MAX_PERIOD_SECONDS,
  MAX_START_DELAY_SECONDS,
  MIN_PERIOD_SECONDS,
  type RulesDocument,
  rulesDocumentSchema,
  SPORTS,
  type Sport,
} from "@resolution-autopilot/vocabulary";
import { type Address, getAddress, isAddress, zeroAddress } from "viem";
import type { DeployedToken } from "../chain/deployments.ts";
import { parseAmount } from "../format/amount.ts";
import { toDateTimeLocal } from "../format/time.ts";

export const PERIOD_UNITS = { hours: 3600, days: 86_400, weeks: 604_800 } as const;
export type PeriodUnit = keyof typeof PERIOD_UNITS;

export interface CommitmentFormValues {
  minWorkouts: string;
  minMinutes: string;
  activities: Sport[];
  timezone: string;
  evidence: "device" | "any";
  /** "ETH" or a token address. */
  asset: string;
  amount: string;
  /** `<input type="datetime-local">` value, in the browser's time zone. */
  start: string;
  periodCount: string;
  periodUnit: PeriodUnit;
  milestones: string;
  graceHours: string;
  beneficiary: string;
}

export type FormField = keyof CommitmentFormValues;
export type FormErrors = Partial<Record<FormField, string>>;

export interface ValidCommitment extends CommitmentTerms {
  rules: RulesDocument;
  tokenInfo: DeployedToken | undefined;
  decimals: number;
  symbol: string;
}

export type ValidateReturnType = { ok: true; value: ValidCommitment } | { ok: false; errors: FormErrors };

export interface ValidateParameters {
  values: CommitmentFormValues;
  tokens: readonly DeployedToken[];
  owner: Address | undefined;
  vault: Address;
  /** Chain time, unix seconds. */
  chainNow: number;
  /** Balance of the chosen asset, when known. */
  balance: bigint | undefined;
}

/** Seconds the start must lie ahead of the chain's clock, so the transaction still fits once mined. */
export const START_MARGIN_SEC = 30;

function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,9}$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n >= min && n <= max ? n : undefined;
}

export function validateCommitment({
  values,
  tokens,
  owner,
  vault,
  chainNow,
  balance,
}: ValidateParameters): ValidateReturnType {
  const errors: FormErrors = {};

  const minWorkouts = wholeNumber(values.minWorkouts, 1, 50);
  if (minWorkouts === undefined) errors.minWorkouts = "Enter a whole number from 1 to 50.";
  const minMinutes = wholeNumber(values.minMinutes, 0, 600);
  if (minMinutes === undefined) errors.minMinutes = "Enter a whole number of minutes from 0 to 600.";
  const activities = SPORTS.filter((s) => values.activities.includes(s));
  if (activities.length === 0) errors.activities = "Choose at least one activity.";
  const rules = rulesDocumentSchema.safeParse({
    version: 1,
    timezone: values.timezone,
    perMilestone: { minWorkouts: minWorkouts ?? 1, minMinutes: minMinutes ?? 0, activities },
    evidence: values.evidence,
  });
  if (!rules.success && rules.error.issues.some((i) => i.path[0] === "timezone")) {
    errors.timezone = "Choose a time zone from the list, e.g. Europe/Berlin.";
  }

  const tokenInfo = values.asset === "ETH" ? undefined : tokens.find((t) => t.address === values.asset);
  if (values.asset !== "ETH" && tokenInfo === undefined) errors.asset = "Choose ETH or a listed token.";
  const decimals = tokenInfo?.decimals ?? 18;
  const symbol = tokenInfo?.symbol ?? "ETH";
  const amount = parseAmount(values.amount, decimals);
  if (!amount.ok) errors.amount = amount.error;
  else if (balance !== undefined && amount.value > balance) {
    errors.amount = `That is more than your balance of this asset.`;
  }

  const startMs = Date.parse(values.start);
  const start = Number.isNaN(startMs) ? undefined : Math.floor(startMs / 1000);
  if (start === undefined) errors.start = "Choose a start date and time.";
  else if (start < chainNow + START_MARGIN_SEC) errors.start = "The start must be in the future.";
  else if (start > chainNow + MAX_START_DELAY_SECONDS)
    errors.start = "The start must be within a year from now.";

  const count = wholeNumber(values.periodCount, 1, 100_000);
  const period = count === undefined ? undefined : count * PERIOD_UNITS[values.periodUnit];
  if (period === undefined || period < MIN_PERIOD_SECONDS || period > MAX_PERIOD_SECONDS) {
    errors.periodCount = `A window lasts from ${MIN_PERIOD_SECONDS / PERIOD_UNITS.hours} hour to ${MAX_PERIOD_SECONDS / PERIOD_UNITS.days} days.`;
  }
  const milestones = wholeNumber(values.milestones, 1, MAX_MILESTONES);
  if (milestones === undefined) errors.milestones = `Choose 1 to ${MAX_MILESTONES} milestones.`;
  const graceHours = wholeNumber(values.graceHours, 0, MAX_GRACE_SECONDS / PERIOD_UNITS.hours);
  if (graceHours === undefined) {
    errors.graceHours = `Grace is 0 to ${MAX_GRACE_SECONDS / PERIOD_UNITS.hours} hours (${MAX_GRACE_SECONDS / PERIOD_UNITS.days} days).`;
  }

  const b = values.beneficiary.trim();
  if (!isAddress(b, { strict: false })) errors.beneficiary = "Enter a 0x address (42 characters).";
  else if (getAddress(b) === zeroAddress) errors.beneficiary = "The beneficiary cannot be the zero address.";
  else if (owner !== undefined && getAddress(b) === getAddress(owner)) {
    errors.beneficiary = "The beneficiary must be someone else: missed stakes cannot go back to you.";
  } else if (getAddress(b) === getAddress(vault)) errors.beneficiary = "The vault cannot be the beneficiary.";

  if (
    Object.keys(errors).length > 0 ||
    !rules.success ||
    !amount.ok ||
    start === undefined ||
    period === undefined ||
    milestones === undefined ||
    graceHours === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    value: {
      rules: rules.data,
      token: tokenInfo?.address ?? zeroAddress,
      tokenInfo,
      decimals,
      symbol,
      amount: amount.value,
      start,
      period,
      milestones,
      grace: graceHours * PERIOD_UNITS.hours,
      beneficiary: getAddress(b),
    },
  };
}

/** The Monday after `now` at 00:00 local time. */
export function nextMonday(now: Date): Date {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
  return d;
}

/**
 * What a new stake form (a commitment, a challenge) starts with: 3 workouts of 30 minutes a window counted in the
 * browser's time zone, device files only, 0.1 ETH, weekly windows from `start` with 48 hours of grace.
 */
export function stakeFormDefaults(
  start: Date,
  { activities, milestones }: Pick<CommitmentFormValues, "activities" | "milestones">,
): CommitmentFormValues {
  return {
    minWorkouts: "3",
    minMinutes: "30",
    activities,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    evidence: "device",
    asset: "ETH",
    amount: "0.1",
    start: toDateTimeLocal(start),
    periodCount: "1",
    periodUnit: "weeks",
    milestones,
    graceHours: "48",
    beneficiary: "",
  };
}

/** The first window's default start: next Monday, 06:00 local time. */
export function firstWindowStart(now: Date): Date {
  const start = nextMonday(now);
  start.setHours(6);
  return start;
}
