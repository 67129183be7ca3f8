// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The smart-account half the receiver mocks share: it acts on a target (the vault, the pool) as itself, so
/// that the ETH the target later pays out lands in the mock's own receive().
abstract contract ExecutingAccountMock {
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
}
