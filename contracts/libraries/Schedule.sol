// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Schedule
/// @notice Pure time and money arithmetic of a commitment: window starts and shares. Deadlines depend on the pause
/// log and live in {CommitmentVaultState-_deadline}.
/// @dev All inputs are bounded by the vault's validation (start < 2^40, period <= 366 days, index < 104,
/// grace <= 7 days), so every result fits comfortably in 64 bits; checked arithmetic is kept anyway because
/// these functions are also exercised directly by fuzz tests.
library Schedule {
    /// @notice Opening time of window `index`: `start + index * period`.
    function windowStart(uint256 start, uint256 period, uint256 index) internal pure returns (uint256) {
        return start + index * period;
    }

    /// @notice Share of milestone `index`: `amount / count`, and the last one takes the remainder, so the
    /// shares of all milestones sum to `amount` exactly.
    function share(uint256 amount, uint256 count, uint256 index) internal pure returns (uint256) {
        uint256 each = amount / count;
        // The last milestone absorbs the rounding remainder (amount - each * count < count).
        return index == count - 1 ? amount - each * (count - 1) : each;
    }
}
