/**
 * The beneficiary's side of the dashboard: what the vault holds for this account (slashed shares of commitments
 * that named it, payouts it could not receive), by token, each with a Withdraw button. Shown only when there is
 * something to withdraw, or right after a withdrawal (to say it went through).
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { usePublicClient } from "wagmi";
import type { Deployment } from "../chain/deployments.ts";
import { ErrorAlerts } from "../components/ErrorAlert.tsx";
import { formatAmount } from "../format/amount.ts";
import { readCredits } from "./credits.ts";
import { useWithdrawCredit } from "./useVaultActions.ts";

export function BeneficiaryCredits({
  deployment,
  account,
}: {
  deployment: Deployment;
  account: Address | undefined;
}) {
  const client = usePublicClient({ chainId: deployment.chainId });
  const credits = useQuery({
    queryKey: ["credits", deployment.chainId, deployment.vault.address, account],
    enabled: client !== undefined && account !== undefined,
    queryFn: () => {
      if (client === undefined || account === undefined) throw new Error("No client for this chain.");
      return readCredits(client, deployment, account);
    },
  });
  const withdraw = useWithdrawCredit(deployment, account);
  // A withdrawal made by the account that was connected before a wallet switch is not this account's news.
  const done = withdraw.isSuccess && withdraw.data.account === account ? withdraw.data : undefined;
  const owed = (credits.data ?? []).filter((c) => c.amount > 0n);
  if (owed.length === 0 && done === undefined && !withdraw.error && !credits.error) return null;
  const symbolOf = (token: Address) =>
    (credits.data ?? []).find((c) => c.token === token) ?? { symbol: "tokens", decimals: 18 };
  return (
    <section className="card" aria-labelledby="credits-heading" data-testid="beneficiary-credits">
      <h2 id="credits-heading">Credits for you</h2>
      <p className="hint">
        Shares of missed windows from commitments that named you as beneficiary. The vault keeps them until
        you withdraw.
      </p>
      {owed.length > 0 ? (
        <ul className="credits" aria-label="Your credits by token">
          {owed.map((c) => (
            <li key={c.token} data-testid="credit" data-token={c.token}>
              <strong>{formatAmount({ value: c.amount, decimals: c.decimals, symbol: c.symbol })}</strong>{" "}
              <button
                type="button"
                onClick={() => withdraw.mutate({ token: c.token, amount: c.amount })}
                disabled={withdraw.isPending}
              >
                Withdraw {c.symbol}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p>Nothing left to withdraw.</p>
      )}
      <div aria-live="polite">
        {withdraw.isPending ? <p role="status">Withdrawing…</p> : null}
        {done !== undefined ? (
          <div className="alert ok" role="status" data-testid="withdraw-done">
            <p>
              Withdrawn:{" "}
              {formatAmount({
                value: done.amount,
                decimals: symbolOf(done.token).decimals,
                symbol: symbolOf(done.token).symbol,
              })}{" "}
              is in your wallet.
            </p>
          </div>
        ) : null}
      </div>
      <ErrorAlerts errors={[withdraw.error, credits.error]} />
    </section>
  );
}
