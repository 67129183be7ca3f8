// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A smart account that can act on the vault but refuses ETH while `rejecting` is set.
contract RevertingReceiver {
    error EtherRejected();

    bool public rejecting = true;

    function setRejecting(bool rejecting_) external {
        rejecting = rejecting_;
    }

    /// @notice Calls `target` with `data` and `msg.value`, bubbling up any revert.
    function execute(address target, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    receive() external payable {
        if (rejecting) revert EtherRejected();
    }
}
