// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A smart account whose receive() burns every unit of gas it is given (a "gas bomb" payee).
contract GasGuzzlerReceiver {
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

    // Burning all gas is the point of this mock.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        assembly ("memory-safe") {
            invalid()
        }
    }
}
