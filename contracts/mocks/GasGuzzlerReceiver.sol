// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ExecutingAccountMock} from "./ExecutingAccountMock.sol";

/// @notice A smart account whose receive() burns every unit of gas it is given (a "gas bomb" payee).
contract GasGuzzlerReceiver is ExecutingAccountMock {
    // Burning all gas is the point of this mock.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        assembly ("memory-safe") {
            invalid()
        }
    }
}
