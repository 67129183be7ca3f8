// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A hostile token whose `transferFrom` takes the sender's tokens and then burns `value + 1` from the
/// recipient: the recipient's balance goes down, not up (the vault must name this, not panic on an underflow).
contract ShrinkingToken is ERC20 {
    constructor() ERC20("Shrinking Token", "SHRINK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        super.transferFrom(from, to, value);
        _burn(to, value + 1);
        return true;
    }
}
