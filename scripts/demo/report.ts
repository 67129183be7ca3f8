/**
 * The demo's printed report: numbered steps, the chain time each happens at, transactions (hash, block, gas
 * used, fee), balances before and after, checks, and a closing summary. Plain text for a terminal and for the
 * test that reads it (agent/test/demo.test.ts relies on the `✓ claim:` and `✓ slash:` lines' wording).
 */
import { type Address, formatUnits, type Hex } from "viem";
import type { MinedTransaction } from "./demoChain.ts";

export interface Asset {
  symbol: string;
  decimals: number;
  /** undefined = ETH. */
  token?: Address;
}

export const ETH: Asset = { symbol: "ETH", decimals: 18 };

export interface BalanceChange {
  who: string;
  asset: Asset;
  before: bigint;
  after: bigint;
}

interface TransactionRow {
  step: number;
  what: string;
  from: string;
  tx: MinedTransaction;
}

/** `1234.5 ETH`: exact (every digit a formatUnits gives), so the report can be checked to the wei. */
export function amount(value: bigint, asset: Asset): string {
  return `${formatUnits(value, asset.decimals)} ${asset.symbol}`;
}

function signed(value: bigint, asset: Asset): string {
  return `${value >= 0n ? "+" : "-"}${amount(value >= 0n ? value : -value, asset)}`;
}

/** `Thu 2026-12-03 12:00 UTC (13:00 Europe/Berlin)`. */
export function chainTime(seconds: number, timeZone = "Europe/Berlin"): string {
  const at = new Date(seconds * 1000);
  const utc = new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC",
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: string) => utc.find((p) => p.type === type)?.value ?? "";
  const local = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
  return `${part("weekday")} ${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")} UTC (${local} ${timeZone})`;
}

export function shortHash(hash: Hex): string {
  return `${hash.slice(0, 10)}…${hash.slice(-6)}`;
}

export class Report {
  readonly #write: (line: string) => void;
  readonly #transactions: TransactionRow[] = [];
  #step = 0;
  #title = "";

  constructor(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.#write = write;
  }

  /** The step under way, for a failure message. */
  get current(): string {
    return this.#step === 0 ? "setup" : `step ${this.#step} (${this.#title})`;
  }

  title(text: string): void {
    this.#write(text);
    this.#write("=".repeat(text.length));
  }

  step(title: string, at?: number): void {
    this.#step += 1;
    this.#title = title;
    this.#write("");
    this.#write(`${this.#step}. ${title}${at === undefined ? "" : `  [chain time ${chainTime(at)}]`}`);
  }

  line(text = ""): void {
    this.#write(text === "" ? "" : `   ${text}`);
  }

  field(label: string, value: string): void {
    this.#write(`   ${label.padEnd(20)} ${value}`);
  }

  ok(text: string): void {
    this.#write(`   ✓ ${text}`);
  }

  transaction(what: string, from: string, tx: MinedTransaction): void {
    this.#transactions.push({ step: this.#step, what, from, tx });
    this.field("tx", tx.hash);
    this.field(
      "",
      `block ${tx.blockNumber}, gas used ${tx.gasUsed.toLocaleString("en-US")}, fee ${amount(tx.fee, ETH)}`,
    );
  }

  balances(changes: readonly BalanceChange[]): void {
    for (const { who, asset, before, after } of changes) {
      const delta = after - before;
      this.#write(
        `   ${`${who} ${asset.symbol}`.padEnd(20)} ${amount(before, asset)} → ${amount(after, asset)}  (${delta === 0n ? "unchanged" : signed(delta, asset)})`,
      );
    }
  }

  /** The transactions table, then whatever the caller prints. */
  summary(): void {
    this.#write("");
    this.title("Summary");
    this.#write("");
    const header = ["step", "transaction", "from", "tx hash", "gas used", "fee (ETH)"];
    const rows = this.#transactions.map((t) => [
      String(t.step),
      t.what,
      t.from,
      shortHash(t.tx.hash),
      t.tx.gasUsed.toLocaleString("en-US"),
      formatUnits(t.tx.fee, 18),
    ]);
    this.table(header, rows);
  }

  /** A plain text table, columns padded; numbers right-aligned. */
  table(header: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const numeric = header.map(
      (_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d,.]+( \w+)?$/.test(r[i] ?? "")),
    );
    const render = (cells: readonly string[]) =>
      `   ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd();
    this.#write(render(header));
    this.#write(render(widths.map((w) => "-".repeat(w))));
    for (const row of rows) this.#write(render(row));
  }
}
