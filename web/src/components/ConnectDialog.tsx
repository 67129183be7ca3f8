/**
 * The connect dialog: every wallet announced through EIP-6963 (MetaMask, Rabby, Coinbase Wallet, ...) plus
 * WalletConnect when configured. A native <dialog>: focus moves in and returns, Escape closes it.
 */
import { useEffect, useRef } from "react";
import { useConnect, useConnectors } from "wagmi";
import { ErrorAlert } from "./ErrorAlert.tsx";

export interface ConnectDialogProps {
  open: boolean;
  onClose: () => void;
}

export function ConnectDialog({ open, onClose }: ConnectDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const connectors = useConnectors();
  const connect = useConnect();

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog ref={ref} aria-labelledby="connect-title" onClose={onClose}>
      <h2 id="connect-title">Connect a wallet</h2>
      {connectors.length === 0 ? (
        <div className="alert warn" role="status" data-error-kind="no_wallet">
          <p>
            <strong>No wallet found.</strong> Install a browser wallet such as{" "}
            <a href="https://metamask.io/download/" target="_blank" rel="noreferrer">
              MetaMask
            </a>
            ,{" "}
            <a href="https://rabby.io/" target="_blank" rel="noreferrer">
              Rabby
            </a>{" "}
            or Coinbase Wallet, then reload this page.
          </p>
        </div>
      ) : (
        <ul className="wallets">
          {connectors.map((connector) => (
            <li key={connector.uid}>
              <button
                type="button"
                className="secondary"
                disabled={connect.isPending}
                onClick={() =>
                  connect.mutate(
                    { connector },
                    {
                      onSuccess: onClose,
                    },
                  )
                }
              >
                {connector.icon ? <img src={connector.icon} alt="" /> : null}
                {connector.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {connect.isPending ? <p role="status">Waiting for your wallet…</p> : null}
      <ErrorAlert error={connect.error} />
      <form method="dialog">
        <button type="submit" className="secondary">
          Close
        </button>
      </form>
    </dialog>
  );
}
