// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutingAccountMock} from "./ExecutingAccountMock.sol";

/// @notice A smart account that can act on the vault but refuses ETH while `rejecting` is set.
contract RevertingReceiver is ExecutingAccountMock {
    error EtherRejected();

    bool public rejecting = true;

    function setRejecting(bool rejecting_) external {
        rejecting = rejecting_;
    }

    receive() external payable {
        if (rejecting) revert EtherRejected();
    }
}
