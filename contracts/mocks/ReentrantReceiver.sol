// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A smart account that, when it receives ETH, calls back into `target` with preset calldata and
/// records whether that nested call succeeded and what it reverted with.
contract ReentrantReceiver {
    address public target;
    bytes public reentryData;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    function setReentry(address target_, bytes calldata data) external {
        target = target_;
        reentryData = data;
        attempted = false;
    }

    /// @notice Calls `target_` with `data` and `msg.value`, bubbling up any revert.
    function execute(address target_, bytes calldata data) external payable returns (bytes memory result) {
        bool ok;
        (ok, result) = target_.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    receive() external payable {
        if (target == address(0) || attempted) return;
        attempted = true;
        (bool ok, bytes memory ret) = target.call(reentryData);
        reentrySucceeded = ok;
        if (!ok) reentryRevertData = ret;
    }
}
