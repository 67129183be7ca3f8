// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice ERC-20 whose transfers call back into `target` with preset calldata once armed, recording whether
/// the nested call succeeded and what it reverted with (an ERC-777-style hook, the classic reentrancy vector).
contract ReentrantToken is ERC20 {
    address public reentryTarget;
    bytes public reentryData;
    bool public armed;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    constructor() ERC20("Reentrant Token", "RNT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata data) external {
        reentryTarget = target_;
        reentryData = data;
        armed = true;
        attempted = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed && from != address(0) && to != address(0)) {
            armed = false;
            attempted = true;
            // The reentrancy attempt is the point of this mock.
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory ret) = reentryTarget.call(reentryData);
            reentrySucceeded = ok;
            if (!ok) reentryRevertData = ret;
        }
    }
}
