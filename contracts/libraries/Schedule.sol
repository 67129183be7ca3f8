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

    /// @notice Whether the latest pause covers a deadline, i.e. the deadline was still running when it began.
    /// @dev Exact for a pause that follows an earlier one by less than `grace` (a chain of two): the earlier
    /// pause had extended deadlines after `chainStart` to `previousUnpause + grace`, which is still running at
    /// the new pause start iff `grace > chainGap` (the time between that unpause and the new pause). For longer
    /// chains `chainStart` is the first pause's start: this may cover more than strictly needed, never less,
    /// so a staker never loses claim time to a pause.
    /// @param d The base deadline.
    /// @param grace The commitment's grace.
    /// @param coverStart Start of the latest pause.
    /// @param chainStart Start of the first pause of the chain the latest pause belongs to (== coverStart if none).
    /// @param chainGap Time between the previous unpause and the latest pause (0 if not chained).
    function covered(
        uint256 d,
        uint256 grace,
        uint256 coverStart,
        uint256 chainStart,
        uint256 chainGap
    ) internal pure returns (bool) {
        return d > coverStart || (grace > chainGap && d > chainStart);
    }

    /// @notice Applies the latest pause to a deadline: a covered deadline becomes `max(d, unpausedAt + grace)`,
    /// any other stands. `unpausedAt == 0` means there was never a pause.
    /// @param unpausedAt When the latest pause ended (or, while paused, the hypothetical unpause time).
    function extendForPause(
        uint256 d,
        uint256 grace,
        uint256 coverStart,
        uint256 chainStart,
        uint256 chainGap,
        uint256 unpausedAt
    ) internal pure returns (uint256) {
        if (unpausedAt == 0 || !covered(d, grace, coverStart, chainStart, chainGap)) return d;
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
