/**
 * The gas scenarios' record: each labelled transaction's gas used, one sample per call, written as JSON to
 * $GAS_SAMPLES_OUT for scripts/gas-report.ts (which takes the median per label).
 */
import { writeFileSync } from "node:fs";
import type { ContractTransactionResponse } from "ethers";

export class GasSamples {
  readonly #samples: Record<string, number[]> = {};

  /** Waits for `tx` and records its gas used under `label`; throws when it failed. */
  async measure(label: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
    const receipt = await (await tx).wait();
    if (receipt?.status !== 1) throw new Error(`${label}: transaction failed`);
    const list = this.#samples[label] ?? [];
    list.push(Number(receipt.gasUsed));
    this.#samples[label] = list;
  }

  /** Writes the samples to $GAS_SAMPLES_OUT, when it is set. */
  write(): void {
    const out = process.env.GAS_SAMPLES_OUT;
    if (out) writeFileSync(out, `${JSON.stringify(this.#samples, null, 2)}\n`);
  }
}
