// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Schedule
/// @notice Pure time and money arithmetic of a commitment: windows, deadlines, pause extensions and shares.
/// @dev All inputs are bounded by the vault's validation (start < 2^40, period <= 366 days, index < 104,
/// grace <= 7 days), so every result fits comfortably in 64 bits; checked arithmetic is kept anyway because
/// these functions are also exercised directly by fuzz tests.
library Schedule {
    /// @notice Opening time of window `index`: `start + index * period`.
    function windowStart(uint256 start, uint256 period, uint256 index) internal pure returns (uint256) {
        return start + index * period;
    }

    /// @notice Claim deadline of window `index` before any pause: `start + (index + 1) * period + grace`.
    function baseDeadline(uint256 start, uint256 period, uint256 grace, uint256 index) internal pure returns (uint256) {
        return start + (index + 1) * period + grace;
    }

    /// @notice Applies the latest pause to a deadline.
    /// @dev A deadline `d` later than `coverStart` was still running when the (chained) pause began, so it
    /// gets at least `grace` after the unpause: `max(d, unpausedAt + grace)`. Deadlines at or before
    /// `coverStart` lost nothing to the pause and stand. `unpausedAt == 0` means there was never an unpause.
    /// @param d The base deadline.
    /// @param grace The commitment's grace.
    /// @param coverStart Start of the latest pause, or of the earliest pause it is chained to.
    /// @param unpausedAt When that pause ended (or, while paused, the hypothetical unpause time).
    function extendForPause(
        uint256 d,
        uint256 grace,
        uint256 coverStart,
        uint256 unpausedAt
    ) internal pure returns (uint256) {
        if (unpausedAt == 0 || d <= coverStart) return d;
        uint256 floor = unpausedAt + grace;
        return d > floor ? d : floor;
    }

    /// @notice Share of milestone `index`: `amount / count`, and the last one takes the remainder, so the
    /// shares of all milestones sum to `amount` exactly.
    function share(uint256 amount, uint256 count, uint256 index) internal pure returns (uint256) {
        uint256 each = amount / count;
        // The last milestone absorbs the rounding remainder (amount - each * count < count).
        return index == count - 1 ? amount - each * (count - 1) : each;
    }
}
