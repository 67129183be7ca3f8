// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutingAccountMock} from "./ExecutingAccountMock.sol";

/// @notice A smart account that, when it receives ETH, calls back into `reentryTarget` with preset calldata and
/// records whether that nested call succeeded and the hash of what it reverted with (one slot, so the hook stays
/// within the vault's PUSH_GAS even for revert data with arguments).
contract ReentrantReceiver is ExecutingAccountMock {
    address public reentryTarget;
    bytes public reentryData;
    bool public attempted;
    bool public reentrySucceeded;
    bytes32 public reentryRevertHash;

    function setReentry(address target_, bytes calldata data) external {
        reentryTarget = target_;
        reentryData = data;
        attempted = false;
    }

    // Re-entering from receive() is the point of this mock.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        if (reentryTarget == address(0) || attempted) return;
        attempted = true;
        // The reentrancy attempt is the point of this mock.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = reentryTarget.call(reentryData);
        reentrySucceeded = ok;
        if (!ok) reentryRevertHash = keccak256(ret);
    }
}
