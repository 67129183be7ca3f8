// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ChallengeMath
/// @notice Pure money arithmetic of a challenge pool: what a participant lost, and how a pot is split.
library ChallengeMath {
    /// @notice Basis points in 100 %.
    uint256 internal constant BPS = 10_000;

    /// @notice Splits `pot` among `finishers` after a fee of `feeBps`: each finisher gets
    /// `pot * (BPS - feeBps) / BPS / finishers`; the remainder (fee plus rounding dust, or the whole pot when nobody
    /// finished) goes to one recipient, so `winningsEach * finishers + remainder == pot` exactly.
    /// @dev `feeBps <= BPS` (the pool enforces <= 1,000); `pot * BPS` cannot overflow for any pot a pool can hold
    /// (at most 10,000 stakes of 2^128).
    function split(
        uint256 pot,
        uint256 feeBps,
        uint256 finishers
    ) internal pure returns (uint256 winningsEach, uint256 remainder) {
        if (finishers == 0) return (0, pot);
        winningsEach = (pot * (BPS - feeBps)) / BPS / finishers;
        // winningsEach * finishers <= pot * (BPS - feeBps) / BPS <= pot: no underflow.
        remainder = pot - winningsEach * finishers;
    }

    /// @notice The slashed part of a stake: `slashedCount` shares of `stake / milestones`, plus the last milestone's
    /// rounding remainder when it is among them (the vault's share formula: the last milestone takes the remainder).
    function lost(
        uint256 stake,
        uint256 milestones,
        uint256 slashedCount,
        bool lastSlashed
    ) internal pure returns (uint256) {
        uint256 each = stake / milestones;
        // each * milestones <= stake: the remainder does not underflow.
        return slashedCount * each + (lastSlashed ? stake - each * milestones : 0);
    }
}
