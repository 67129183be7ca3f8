// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {CommitmentVault} from "../../contracts/CommitmentVault.sol";
import {ICommitmentVault} from "../../contracts/interfaces/ICommitmentVault.sol";
import {MockERC20Permit} from "../../contracts/mocks/MockERC20Permit.sol";
import {RevertingReceiver} from "../../contracts/mocks/RevertingReceiver.sol";
import {Vm, VM_ADDRESS, bound} from "../utils/Vm.sol";

/// @title VaultHandler
/// @notice The only contract the invariant fuzzer calls. Every action bounds its inputs, predicts the vault's answer
/// from its own model (success, or the exact custom error), performs the call as the right actor and records any
/// mismatch as a violation instead of reverting, so that a broken rule fails the invariants with a message.
/// Ghost variables keep per-token accounting and the last observed state of every milestone; after each action the
/// handler re-reads every milestone of every live commitment and checks each change against the allowed lifecycle.
contract VaultHandler {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    enum Action {
        Create,
        CreateWithPermit,
        Claim,
        Slash,
        Cancel,
        Exit,
        Withdraw,
        Warp,
        Pause,
        Unpause,
        SetOracles,
        SetTokenAllowed,
        SetRejecting,
        Appeal,
        ResolveAppeal,
        ExpireAppeal
    }

    /// @dev The handler's own record of a commitment, written at creation and on close.
    struct Model {
        address owner;
        address token;
        uint128 amount;
        uint64 start;
        uint32 period;
        uint16 milestones;
        uint32 grace;
        address beneficiary;
        /// @dev Closed according to the model (set when cancel or exit succeeds).
        bool closed;
        /// @dev The vault's `closed` flag as last observed.
        bool observedClosed;
    }

    /// @dev Last observed state of one milestone and how often it changed.
    struct Track {
        ICommitmentVault.MilestoneState last;
        uint256 settlements;
        /// @dev Number of the pause at whose start this milestone was already slashable (0: none yet).
        uint256 slashableAtPause;
        /// @dev Appeal: the bond posted, when, and the seconds paused before it (model of APPEAL_PERIOD).
        uint256 bond;
        uint256 appealedAt;
        uint256 pausedBeforeAppeal;
    }

    /// @dev Per-token money flows, in token units.
    struct Ghosts {
        uint256 deposited;
        uint256 released;
        uint256 slashed;
        uint256 refunded;
        uint256 credited;
        uint256 withdrawn;
        /// @dev Appeal bonds posted, returned to owners (claim, upheld, expired, exit) and forfeited (rejected).
        uint256 bonds;
        uint256 bondsReturned;
        uint256 bondsForfeited;
    }

    /// @dev The handler's model of time and of the vault's global switches.
    struct World {
        /// @dev Block time of the campaign, kept here so it survives between fuzzer calls on every runner.
        uint256 timestamp;
        uint256 pausedAt;
        /// @dev When the latest pause ended (0 if never).
        uint256 lastUnpausedAt;
        /// @dev Successful pauses so far; the current (or latest) pause is number `pauseCount`.
        uint256 pauseCount;
        uint256 commitmentCount;
        bool paused;
        bool tokenAllowed;
    }

    /// @dev Owners 0..2 are EOAs with keys (they sign permits); owner 3 is a contract that can refuse ETH.
    /// `accounts` is everyone who can ever hold credits: the four owners and two charities.
    struct Actors {
        uint256[3] ownerKeys;
        address[4] owners;
        address[6] accounts;
    }

    /// @dev The oracle key pool, the current oracle keys sorted by address (ascending), and the quorum.
    struct Oracles {
        uint256[4] pool;
        uint256[] keys;
        uint256 threshold;
    }

    /// @dev What the running action is allowed to change; consumed by the scan that follows it.
    struct Expectation {
        uint256 id;
        uint256 index;
        ICommitmentVault.MilestoneState state;
        /// @dev Cancel or exit of `closeId`: `refunds` milestones go Open -> Refunded and, for an exit, `forfeits`
        /// milestones (those slashable when the pause began) go Open -> Slashed.
        uint256 closeId;
        bool byExit;
        uint256 refunds;
        uint256 forfeits;
    }

    struct Counters {
        uint256 total;
        uint256[16] calls;
        uint256[16] successes;
        uint256 doubleSettlements;
        uint256 reopenedCommitments;
    }

    struct Violations {
        uint256 count;
        string first;
        bytes firstData;
    }

    /// @dev How the Open shares of a commitment being closed divide: refunded to the owner, or (exit only) forfeited
    /// to the beneficiary because they were already slashable when the pause began.
    struct Split {
        uint256 refund;
        /// @dev The part of `refund` that is appeal bonds.
        uint256 bonds;
        uint256 refunds;
        uint256 forfeit;
        uint256 forfeits;
    }

    /// @dev Balances around one payment: the payee's wallet and credits, and the vault's holdings.
    struct Balances {
        uint256 wallet;
        uint256 credits;
        uint256 vault;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    Vm internal constant VM = Vm(VM_ADDRESS);
    /// @dev Caps the work of the per-call state scan (commitments x milestones).
    uint256 public constant MAX_COMMITMENTS = 10;
    uint256 internal constant POOL_SIZE = 4;
    uint256 internal constant OUTSIDER_KEY = 0xBAD0AC1E;
    bytes32 internal constant RULES_HASH = keccak256("rules v1");
    bytes32 internal constant EVIDENCE_HASH = keccak256("evidence");
    bytes32 internal constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );
    address internal constant RELAYER = address(0x4E1A7E4);
    address internal constant STRANGER = address(0x57A4E);
    /// @notice Holds ARBITER_ROLE (granted by the test's setUp).
    address public constant ARBITER = address(0xA4B17E4);

    /*//////////////////////////////////////////////////////////////
                                 STATE
    //////////////////////////////////////////////////////////////*/

    CommitmentVault public immutable vault;
    MockERC20Permit public immutable token;
    RevertingReceiver public immutable smartAccount;
    address public immutable admin;

    Actors internal _actors;
    Oracles internal _oracles;
    World internal _world;
    /// @dev Every pause the handler made: start and end (0 while ongoing).
    uint256[] internal _pauseStarts;
    uint256[] internal _pauseEnds;
    mapping(uint256 id => Model) internal _models;
    mapping(uint256 id => mapping(uint256 index => Track)) internal _tracks;
    mapping(address token => Ghosts) internal _ghosts;
    /// @dev _transitionCount[from][to] over all observed milestone state changes.
    uint256[5][5] internal _transitionCount;
    Expectation internal _expected;
    Counters internal _counters;
    /// @notice How often each custom error came back from the vault.
    mapping(bytes4 selector => uint256) public revertsSeen;
    Violations internal _violations;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param oraclePool Four oracle keys; the vault must have been deployed with the first three.
    constructor(
        CommitmentVault vault_,
        MockERC20Permit token_,
        address admin_,
        uint256[POOL_SIZE] memory oraclePool,
        uint256 threshold_
    ) {
        vault = vault_;
        token = token_;
        admin = admin_;
        smartAccount = new RevertingReceiver();
        _world.timestamp = block.timestamp;
        _world.tokenAllowed = true;

        _actors.ownerKeys = [uint256(0xA11CE), 0xB0B, 0xCA201];
        for (uint256 i; i < 3; ++i) {
            _actors.owners[i] = VM.addr(_actors.ownerKeys[i]);
        }
        _actors.owners[3] = address(smartAccount);
        for (uint256 i; i < 4; ++i) {
            _actors.accounts[i] = _actors.owners[i];
        }
        _actors.accounts[4] = address(0xC4A217);
        _actors.accounts[5] = address(0xC4A218);

        _oracles.pool = oraclePool;
        _setOracleModel(7, threshold_); // mask 0b0111: pool keys 0..2

        VM.label(_actors.owners[0], "alice");
        VM.label(_actors.owners[1], "bob");
        VM.label(_actors.owners[2], "carol");
        VM.label(_actors.owners[3], "smartAccount");
        VM.label(_actors.accounts[4], "charity1");
        VM.label(_actors.accounts[5], "charity2");
    }

    /*//////////////////////////////////////////////////////////////
                               MODIFIERS
    //////////////////////////////////////////////////////////////*/

    modifier act(Action a) {
        VM.warp(_world.timestamp);
        ++_counters.total;
        ++_counters.calls[uint256(a)];
        _;
        _observe();
    }

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Stakes ETH or the allowlisted token for a random owner with a random valid schedule.
    function createCommitment(
        uint256 ownerSeed,
        uint256 amountSeed,
        uint256 scheduleSeed,
        bool useToken
    ) external act(Action.Create) {
        if (_world.commitmentCount >= MAX_COMMITMENTS) return;
        address owner = _actors.owners[ownerSeed % 4];
        ICommitmentVault.CommitmentParams memory p = _params(
            owner,
            useToken ? address(token) : address(0),
            amountSeed,
            scheduleSeed
        );
        if (useToken) {
            token.mint(owner, p.amount);
            if (owner == address(smartAccount)) {
                smartAccount.execute(address(token), abi.encodeCall(token.approve, (address(vault), p.amount)));
            } else {
                VM.prank(owner);
                token.approve(address(vault), p.amount);
            }
        }
        uint256 vaultBefore = _vaultBalance(p.token);
        (bool ok, bytes memory ret) = _createAs(owner, p);
        if (_check(Action.Create, "createCommitment", ok, ret, _createError(p.token))) {
            _recordCreated(owner, p, ret, vaultBefore);
        }
    }

    /// @notice Stakes the token through an EIP-2612 permit: a fresh permit, a front-run permit with the allowance in
    /// place (must still succeed), or a useless permit without allowance (must fail).
    function createCommitmentWithPermit(
        uint256 ownerSeed,
        uint256 amountSeed,
        uint256 scheduleSeed,
        uint8 mode
    ) external act(Action.CreateWithPermit) {
        if (_world.commitmentCount >= MAX_COMMITMENTS) return;
        uint256 key = _actors.ownerKeys[ownerSeed % 3];
        address owner = VM.addr(key);
        ICommitmentVault.CommitmentParams memory p = _params(owner, address(token), amountSeed, scheduleSeed);
        token.mint(owner, p.amount);
        VM.prank(owner);
        token.approve(address(vault), 0);

        uint256 deadline = _world.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(key, _permitDigest(owner, p.amount, deadline));
        bytes memory expected = _createError(p.token);
        mode %= 3;
        if (mode == 1) {
            // Front-run: someone submits the permit first, so the vault's own permit call fails.
            token.permit(owner, address(vault), p.amount, deadline, v, r, s);
        } else if (mode == 2) {
            // A permit that cannot work (it was signed for another deadline) and no allowance.
            deadline -= 1;
            if (expected.length == 0) {
                expected = abi.encodeWithSelector(
                    IERC20Errors.ERC20InsufficientAllowance.selector,
                    address(vault),
                    0,
                    p.amount
                );
            }
        }
        uint256 vaultBefore = _vaultBalance(p.token);
        bool ok;
        bytes memory ret;
        VM.prank(owner);
        try vault.createCommitmentWithPermit(p, deadline, v, r, s) returns (uint256 id) {
            (ok, ret) = (true, abi.encode(id));
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (_check(Action.CreateWithPermit, "createCommitmentWithPermit", ok, ret, expected)) {
            _recordCreated(owner, p, ret, vaultBefore);
        }
    }

    /// @notice Submits an attestation signed by the current quorum, mostly for a live, Open, current window. Modes 1-3
    /// (of 16) break it on purpose: one signature short, expired, or one signer who is not a current oracle; modes
    /// 12-15 aim at a random milestone.
    function claim(uint256 idSeed, uint256 indexSeed, uint256 validSeed, uint8 mode) external act(Action.Claim) {
        if (_world.commitmentCount == 0) return;
        mode %= 16;
        (uint256 id, uint256 index) = mode < 12
            ? _claimable(idSeed, indexSeed)
            : (bound(idSeed, 1, _world.commitmentCount), indexSeed);
        index = bound(index, 0, _models[id].milestones - 1);
        uint64 validUntil =
            mode == 2 ? uint64(_world.timestamp - 1) : uint64(_world.timestamp + bound(validSeed, 0, 1 days));
        _claim(id, index, validUntil, mode);
    }

    /// @notice Slashes a milestone as a permissionless keeper: with `pickDue`, the first one that is due.
    function slash(uint256 idSeed, uint256 indexSeed, bool pickDue) external act(Action.Slash) {
        if (_world.commitmentCount == 0) return;
        (uint256 id, uint256 index) = pickDue
            ? _due(idSeed, indexSeed)
            : (bound(idSeed, 1, _world.commitmentCount), indexSeed);
        Model storage m = _models[id];
        index = bound(index, 0, m.milestones - 1);

        bytes memory expected = _slashError(id, index);
        Balances memory before = _balances(m.token, m.beneficiary);
        bool ok;
        bytes memory ret;
        VM.prank(RELAYER);
        try vault.slash(id, index) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (!_check(Action.Slash, "slash", ok, ret, expected)) return;

        uint256 share = vault.milestoneAmount(id, index);
        Balances memory afterwards = _balances(m.token, m.beneficiary);
        if (afterwards.credits != before.credits + share) {
            _violate("slash: beneficiary not credited the share", abi.encode(id, index));
        }
        if (afterwards.vault != before.vault || afterwards.wallet != before.wallet) {
            _violate("slash: value moved instead of being credited", abi.encode(id, index));
        }
        _ghosts[m.token].slashed += share;
        _ghosts[m.token].credited += share;
        _expect(id, index, ICommitmentVault.MilestoneState.Slashed);
    }

    /// @notice Cancels a commitment: one call in three as its owner, the others as a random account.
    function cancel(uint256 idSeed, uint256 callerSeed) external act(Action.Cancel) {
        if (_world.commitmentCount == 0) return;
        uint256 id = bound(idSeed, 1, _world.commitmentCount);
        Model storage m = _models[id];
        address caller = callerSeed % 3 == 0 ? m.owner : _actors.accounts[(callerSeed >> 2) % 6];

        bytes memory expected;
        if (caller != m.owner) {
            expected = abi.encodeWithSelector(ICommitmentVault.NotCommitmentOwner.selector, id, caller);
        } else if (m.closed) {
            expected = abi.encodeWithSelector(ICommitmentVault.CommitmentClosed.selector, id);
        } else if (_world.timestamp >= m.start) {
            expected = abi.encodeWithSelector(ICommitmentVault.CommitmentAlreadyStarted.selector, id, m.start);
        }
        _refund(Action.Cancel, id, caller, expected);
    }

    /// @notice Exits a commitment as anyone (v2: no owner check); with `waitOut` and a paused vault, first lets the
    /// current pause reach 30 days. Open milestones already slashable when the pause began are forfeited to the
    /// beneficiary, the others are refunded to the owner.
    function exit(uint256 idSeed, uint256 callerSeed, bool waitOut) external act(Action.Exit) {
        if (_world.commitmentCount == 0) return;
        uint256 required = vault.EXIT_PAUSED_TIME();
        if (waitOut && _world.paused && _pausedInExitWindow() < required) {
            uint256 target = _world.pausedAt + required;
            if (target > _world.timestamp) {
                _world.timestamp = target;
                VM.warp(target);
            }
        }
        uint256 id = bound(idSeed, 1, _world.commitmentCount);
        Model storage m = _models[id];
        address caller = callerSeed % 4 == 0 ? _actors.accounts[(callerSeed >> 2) % 6] : m.owner;

        bytes memory expected;
        uint256 pausedSeconds = _pausedInExitWindow();
        if (m.closed) {
            expected = abi.encodeWithSelector(ICommitmentVault.CommitmentClosed.selector, id);
        } else if (!_world.paused || pausedSeconds < required) {
            expected = abi.encodeWithSelector(
                ICommitmentVault.ExitNotAvailable.selector,
                uint64(pausedSeconds),
                uint64(required)
            );
        }
        _refund(Action.Exit, id, caller, expected);
    }

    /// @notice Pulls (or, with `viaFor`, pushes) an account's credits: mostly of an account that has some.
    function withdraw(uint256 accountSeed, bool useToken, bool viaFor) external act(Action.Withdraw) {
        (address account, address tok) = accountSeed % 4 == 0
            ? (_actors.accounts[(accountSeed >> 2) % 6], useToken ? address(token) : address(0))
            : _creditHolder(accountSeed >> 2, useToken);
        uint256 amount = vault.credits(account, tok);

        bytes memory expected;
        if (amount == 0) {
            expected = abi.encodeWithSelector(ICommitmentVault.NothingToWithdraw.selector, account, tok);
        } else if (account == address(smartAccount) && tok == address(0) && smartAccount.rejecting()) {
            expected = abi.encodeWithSelector(ICommitmentVault.PayoutFailed.selector, account, tok, amount);
        }
        Balances memory before = _balances(tok, account);
        (bool ok, bytes memory ret) = _withdrawAs(account, tok, viaFor);
        if (!_check(Action.Withdraw, "withdraw", ok, ret, expected)) return;

        Balances memory afterwards = _balances(tok, account);
        if (
            afterwards.credits != 0 ||
            afterwards.wallet != before.wallet + amount ||
            afterwards.vault + amount != before.vault
        ) {
            _violate("withdraw: credits not paid out exactly", abi.encode(account, tok, amount));
        }
        _ghosts[tok].withdrawn += amount;
    }

    /// @notice Lets time pass: a jump of `seed` seconds (bounded to 3 days) for odd seeds; for even seeds, one second
    /// before, at or after a random milestone's window opening or claim deadline (if that is still ahead).
    function warp(uint256 seed, uint256 idSeed, uint256 indexSeed) external act(Action.Warp) {
        uint256 target = _world.timestamp + bound(seed, 1, 3 days);
        if (seed % 2 == 0 && _world.commitmentCount != 0) {
            uint256 id = bound(idSeed, 1, _world.commitmentCount);
            Model storage m = _models[id];
            uint256 index = bound(indexSeed, 0, m.milestones - 1);
            uint256 edge = (seed >> 1) % 2 == 0 ? vault.claimDeadline(id, index) : uint256(m.start) + index * m.period;
            target = edge - 1 + ((seed >> 2) % 3);
        }
        if (target > _world.timestamp) {
            _world.timestamp = target;
            VM.warp(target);
            ++_counters.successes[uint256(Action.Warp)];
        }
    }

    /// @notice The guardian pauses (one call in five; one of those in six is a stranger, who must fail). Before it
    /// does, the handler records which Open milestones are already slashable: an exit during this pause must forfeit
    /// exactly those to the beneficiary, and the unpause must leave them slashable.
    function pause(uint256 seed) external act(Action.Pause) {
        if (seed % 5 != 0) return;
        address caller = (seed / 5) % 6 == 0 ? STRANGER : admin;
        bytes memory expected = _guardianError(
            caller,
            _world.paused,
            abi.encodeWithSelector(ICommitmentVault.VaultPaused.selector, uint64(_world.pausedAt))
        );
        // Which Open milestones are already slashable as this pause begins (read before pausing).
        if (expected.length == 0) _markSlashable(_world.pauseCount + 1);
        bool ok;
        bytes memory ret;
        VM.prank(caller);
        try vault.pause() {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (_check(Action.Pause, "pause", ok, ret, expected)) {
            _pauseStarts.push(_world.timestamp);
            _pauseEnds.push(0);
            _world.paused = true;
            _world.pausedAt = _world.timestamp;
            ++_world.pauseCount;
        }
    }

    /// @notice The guardian unpauses (one call in five is a stranger, who must fail); then every Open milestone's claim
    /// deadline is checked against the pause rule.
    function unpause(uint256 seed) external act(Action.Unpause) {
        address caller = seed % 5 == 0 ? STRANGER : admin;
        bytes memory expected = _guardianError(
            caller,
            !_world.paused,
            abi.encodeWithSelector(ICommitmentVault.VaultNotPaused.selector, uint64(_world.lastUnpausedAt))
        );
        bool ok;
        bytes memory ret;
        VM.prank(caller);
        try vault.unpause() {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (_check(Action.Unpause, "unpause", ok, ret, expected)) {
            _pauseEnds[_pauseEnds.length - 1] = _world.timestamp;
            _world.lastUnpausedAt = _world.timestamp;
            _world.paused = false;
            _checkPauseExtensions();
        }
    }

    /// @notice The owner appeals a milestone (one call in six by a stranger): with `pick`, the first Open milestone whose
    /// window ended and whose deadline is still running. Posts the bond (ETH value, or an approved token pull).
    function appeal(uint256 idSeed, uint256 indexSeed, uint256 callerSeed, bool pick) external act(Action.Appeal) {
        if (_world.commitmentCount == 0) return;
        uint256 id = bound(idSeed, 1, _world.commitmentCount);
        uint256 index = indexSeed;
        if (pick) {
            uint256 warpTo;
            (id, index, warpTo) = _appealable(idSeed, indexSeed);
            if (warpTo > _world.timestamp) {
                _world.timestamp = warpTo;
                VM.warp(warpTo);
            }
        }
        Model storage m = _models[id];
        index = bound(index, 0, m.milestones - 1);
        address caller = callerSeed % 6 == 0 ? STRANGER : m.owner;
        uint256 bond = vault.appealBond(id, index);

        bytes memory expected = _appealOpenError(id, index, caller);
        (bool ok, bytes memory ret, Balances memory before) = _appealAs(caller, id, index, bond);
        if (!_check(Action.Appeal, "appeal", ok, ret, expected)) return;
        Balances memory afterwards = _balances(m.token, caller);
        if (before.wallet - afterwards.wallet != bond || afterwards.vault - before.vault != bond) {
            _violate("appeal: bond not moved exactly", abi.encode(id, index));
        }
        Track storage t = _tracks[id][index];
        t.bond = bond;
        t.appealedAt = _world.timestamp;
        t.pausedBeforeAppeal = _pausedTotal();
        _ghosts[m.token].bonds += bond;
        _expect(id, index, ICommitmentVault.MilestoneState.Appealed);
    }

    /// @dev What appeal must revert with, in the vault's order of checks ("" = success).
    function _appealOpenError(uint256 id, uint256 index, address caller) internal view returns (bytes memory) {
        Model storage m = _models[id];
        uint256 end = uint256(m.start) + (index + 1) * m.period;
        ICommitmentVault.MilestoneState state = _tracks[id][index].last;
        if (_world.paused)
            return abi.encodeWithSelector(ICommitmentVault.VaultPaused.selector, uint64(_world.pausedAt));
        if (m.closed) return abi.encodeWithSelector(ICommitmentVault.CommitmentClosed.selector, id);
        if (caller != m.owner) return abi.encodeWithSelector(ICommitmentVault.NotCommitmentOwner.selector, id, caller);
        if (state != ICommitmentVault.MilestoneState.Open) {
            return abi.encodeWithSelector(ICommitmentVault.MilestoneNotOpen.selector, id, index, state);
        }
        if (_world.timestamp < end) {
            return abi.encodeWithSelector(ICommitmentVault.WindowNotEnded.selector, id, index, uint64(end));
        }
        uint64 deadline = vault.claimDeadline(id, index);
        if (_world.timestamp >= deadline) {
            return abi.encodeWithSelector(ICommitmentVault.ClaimDeadlinePassed.selector, id, index, deadline);
        }
        return "";
    }

    /// @dev appeal as `caller`, funded with exactly the bond (ETH dealt, or tokens minted and approved).
    function _appealAs(
        address caller,
        uint256 id,
        uint256 index,
        uint256 bond
    ) internal returns (bool ok, bytes memory ret, Balances memory before) {
        address tok = _models[id].token;
        if (tok == address(0)) {
            VM.deal(caller, caller.balance + bond);
        } else {
            token.mint(caller, bond);
            VM.prank(caller);
            token.approve(address(vault), bond);
        }
        before = _balances(tok, caller);
        VM.prank(caller);
        try vault.appeal{value: tok == address(0) ? bond : 0}(id, index) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
    }

    /// @notice The arbiter (one call in six a stranger) rules on the first Appealed milestone from a random start.
    function resolveAppeal(uint256 idSeed, uint256 callerSeed, bool upheld) external act(Action.ResolveAppeal) {
        if (_world.commitmentCount == 0) return;
        (uint256 id, uint256 index) = _appealed(idSeed);
        Model storage m = _models[id];
        address caller = callerSeed % 6 == 0 ? STRANGER : ARBITER;
        bytes memory expected;
        if (caller != ARBITER) {
            expected = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                caller,
                vault.ARBITER_ROLE()
            );
        } else {
            expected = _appealError(id, index);
        }
        Balances memory owner = _balances(m.token, m.owner);
        uint256 beneficiaryCredits = vault.credits(m.beneficiary, m.token);
        (bool ok, bytes memory ret) = _resolveAs(caller, id, index, upheld);
        if (!_check(Action.ResolveAppeal, "resolveAppeal", ok, ret, expected)) return;
        _recordResolved(id, index, upheld, owner, beneficiaryCredits);
    }

    function _resolveAs(
        address caller,
        uint256 id,
        uint256 index,
        bool upheld
    ) internal returns (bool ok, bytes memory ret) {
        VM.prank(caller);
        try vault.resolveAppeal(id, index, upheld) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
    }

    function _recordResolved(
        uint256 id,
        uint256 index,
        bool upheld,
        Balances memory owner,
        uint256 beneficiaryCredits
    ) internal {
        Model storage m = _models[id];
        uint256 share = vault.milestoneAmount(id, index);
        uint256 bond = _tracks[id][index].bond;
        if (upheld) {
            (uint256 pushed, uint256 creditedPart) = _paid(m.token, m.owner, owner, share + bond, "resolveAppeal");
            if (pushed + creditedPart != share + bond) _violate("upheld: owner not paid share + bond", "");
            _ghosts[m.token].released += share;
            _ghosts[m.token].bondsReturned += bond;
            _ghosts[m.token].credited += creditedPart;
            _expect(id, index, ICommitmentVault.MilestoneState.Released);
        } else {
            if (vault.credits(m.beneficiary, m.token) != beneficiaryCredits + share + bond) {
                _violate("rejected: beneficiary not credited share + bond", abi.encode(id, index));
            }
            _ghosts[m.token].slashed += share;
            _ghosts[m.token].bondsForfeited += bond;
            _ghosts[m.token].credited += share + bond;
            _expect(id, index, ICommitmentVault.MilestoneState.Slashed);
        }
    }

    /// @notice Anyone expires the first Appealed milestone from a random start; with `waitOut`, first lets the
    /// appeal period (of unpaused time) run out.
    function expireAppeal(uint256 idSeed, bool waitOut) external act(Action.ExpireAppeal) {
        if (_world.commitmentCount == 0) return;
        (uint256 id, uint256 index) = _appealed(idSeed);
        Model storage m = _models[id];
        Track storage t = _tracks[id][index];
        uint256 expiresAt = t.appealedAt + vault.APPEAL_PERIOD() + (_pausedTotal() - t.pausedBeforeAppeal);
        if (waitOut && t.last == ICommitmentVault.MilestoneState.Appealed && _world.timestamp < expiresAt) {
            _world.timestamp = expiresAt;
            VM.warp(expiresAt);
        }
        bytes memory expected = _appealError(id, index);
        if (expected.length == 0 && _world.timestamp < expiresAt) {
            expected = abi.encodeWithSelector(
                ICommitmentVault.AppealPeriodNotOver.selector,
                id,
                index,
                uint64(expiresAt)
            );
        }
        uint256 share = vault.milestoneAmount(id, index);
        uint256 bond = t.bond;
        Balances memory owner = _balances(m.token, m.owner);
        bool ok;
        bytes memory ret;
        VM.prank(RELAYER);
        try vault.expireAppeal(id, index) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (!_check(Action.ExpireAppeal, "expireAppeal", ok, ret, expected)) return;
        (uint256 pushed, uint256 creditedPart) = _paid(m.token, m.owner, owner, share + bond, "expireAppeal");
        if (pushed + creditedPart != share + bond) _violate("expired: owner not paid share + bond", "");
        _ghosts[m.token].refunded += share;
        _ghosts[m.token].bondsReturned += bond;
        _ghosts[m.token].credited += creditedPart;
        _expect(id, index, ICommitmentVault.MilestoneState.Refunded);
    }

    /// @notice The admin replaces the oracle set with a random non-empty subset of the pool and a random quorum.
    function setOracles(uint256 seed) external act(Action.SetOracles) {
        uint256 mask = bound(seed, 1, 2 ** POOL_SIZE - 1);
        uint256 size;
        for (uint256 i; i < POOL_SIZE; ++i) {
            if (mask & (1 << i) != 0) ++size;
        }
        uint8 quorum = uint8(bound(seed >> 8, 1, size));
        address[] memory list = new address[](size);
        uint256 n;
        for (uint256 i; i < POOL_SIZE; ++i) {
            if (mask & (1 << i) != 0) list[n++] = VM.addr(_oracles.pool[i]);
        }
        bool ok;
        bytes memory ret;
        VM.prank(admin);
        try vault.setOracles(list, quorum) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (_check(Action.SetOracles, "setOracles", ok, ret, "")) _setOracleModel(mask, quorum);
    }

    /// @notice The admin occasionally toggles the token on the allowlist (existing stakes must be unaffected).
    function setTokenAllowed(uint256 seed) external act(Action.SetTokenAllowed) {
        if (seed % 4 != 0) return;
        bool allowed = !_world.tokenAllowed;
        bool ok;
        bytes memory ret;
        VM.prank(admin);
        try vault.setTokenAllowed(address(token), allowed) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (_check(Action.SetTokenAllowed, "setTokenAllowed", ok, ret, "")) _world.tokenAllowed = allowed;
    }

    /// @notice The smart account starts or stops refusing ETH (pushes to it then fail and become credits).
    function setRejecting(bool rejecting) external act(Action.SetRejecting) {
        smartAccount.setRejecting(rejecting);
        ++_counters.successes[uint256(Action.SetRejecting)];
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function accounts() external view returns (address[6] memory) {
        return _actors.accounts;
    }

    function model(uint256 id) external view returns (Model memory) {
        return _models[id];
    }

    function commitmentCount() external view returns (uint256) {
        return _world.commitmentCount;
    }

    function currentTimestamp() external view returns (uint256) {
        return _world.timestamp;
    }

    function paused() external view returns (bool) {
        return _world.paused;
    }

    function deposited(address tok) external view returns (uint256) {
        return _ghosts[tok].deposited;
    }

    function released(address tok) external view returns (uint256) {
        return _ghosts[tok].released;
    }

    function slashed(address tok) external view returns (uint256) {
        return _ghosts[tok].slashed;
    }

    function refunded(address tok) external view returns (uint256) {
        return _ghosts[tok].refunded;
    }

    function credited(address tok) external view returns (uint256) {
        return _ghosts[tok].credited;
    }

    function bonds(address tok) external view returns (uint256) {
        return _ghosts[tok].bonds;
    }

    function bondsReturned(address tok) external view returns (uint256) {
        return _ghosts[tok].bondsReturned;
    }

    function bondsForfeited(address tok) external view returns (uint256) {
        return _ghosts[tok].bondsForfeited;
    }

    function withdrawn(address tok) external view returns (uint256) {
        return _ghosts[tok].withdrawn;
    }

    function lastState(uint256 id, uint256 index) external view returns (ICommitmentVault.MilestoneState) {
        return _tracks[id][index].last;
    }

    function settlements(uint256 id, uint256 index) external view returns (uint256) {
        return _tracks[id][index].settlements;
    }

    function lastClosed(uint256 id) external view returns (bool) {
        return _models[id].observedClosed;
    }

    function transitionCount(
        ICommitmentVault.MilestoneState from,
        ICommitmentVault.MilestoneState to
    ) external view returns (uint256) {
        return _transitionCount[uint256(from)][uint256(to)];
    }

    function totalCalls() external view returns (uint256) {
        return _counters.total;
    }

    function calls(Action a) external view returns (uint256) {
        return _counters.calls[uint256(a)];
    }

    function successes(Action a) external view returns (uint256) {
        return _counters.successes[uint256(a)];
    }

    function doubleSettlements() external view returns (uint256) {
        return _counters.doubleSettlements;
    }

    function reopenedCommitments() external view returns (uint256) {
        return _counters.reopenedCommitments;
    }

    function violations() external view returns (uint256) {
        return _violations.count;
    }

    /// @notice Description of the first violation (empty if none).
    function firstViolation() external view returns (string memory) {
        return _violations.first;
    }

    /// @notice Data of the first violation (for a wrong revert: abi.encode(actual, expected)).
    function firstViolationData() external view returns (bytes memory) {
        return _violations.firstData;
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE: CREATION
    //////////////////////////////////////////////////////////////*/

    function _params(
        address owner,
        address tok,
        uint256 amountSeed,
        uint256 scheduleSeed
    ) internal view returns (ICommitmentVault.CommitmentParams memory p) {
        // One stake in four is tiny (often fewer units than milestones: all shares but the last are then zero).
        uint256 amount = amountSeed % 4 == 0 ? bound(amountSeed >> 2, 1, 300) : bound(amountSeed >> 2, 1, 1e24);
        // One commitment in five is long (64..104 windows of 1-4 hours), exercising the second state bitmap.
        bool long = scheduleSeed % 5 == 0;
        uint256 count = long ? bound(_sub(scheduleSeed, 1), 64, 104) : bound(_sub(scheduleSeed, 1), 1, 6);
        uint256 period = bound(_sub(scheduleSeed, 2), 1 hours, long ? 4 hours : 2 days);
        address beneficiary = _actors.accounts[_sub(scheduleSeed, 5) % 6];
        if (beneficiary == owner) beneficiary = _actors.accounts[4];
        p = ICommitmentVault.CommitmentParams({
            token: tok,
            amount: uint128(amount),
            start: uint64(_world.timestamp + bound(_sub(scheduleSeed, 3), 0, 2 days)),
            period: uint32(period),
            milestones: uint16(count),
            grace: uint32(bound(_sub(scheduleSeed, 4), 0, 7 days)),
            beneficiary: beneficiary,
            rulesHash: RULES_HASH
        });
    }

    function _createError(address tok) internal view returns (bytes memory) {
        if (_world.paused)
            return abi.encodeWithSelector(ICommitmentVault.VaultPaused.selector, uint64(_world.pausedAt));
        if (tok != address(0) && !_world.tokenAllowed) {
            return abi.encodeWithSelector(ICommitmentVault.TokenNotAllowed.selector, tok);
        }
        return "";
    }

    /// @dev createCommitment as `owner` (ETH stakes are funded first). Returns abi.encode(id) or the revert data.
    function _createAs(
        address owner,
        ICommitmentVault.CommitmentParams memory p
    ) internal returns (bool ok, bytes memory ret) {
        uint256 value = p.token == address(0) ? p.amount : 0;
        if (owner == address(smartAccount)) {
            VM.deal(address(this), address(this).balance + value);
            try
                smartAccount.execute{value: value}(address(vault), abi.encodeCall(vault.createCommitment, (p)))
            returns (bytes memory result) {
                return (true, result);
            } catch (bytes memory reason) {
                return (false, reason);
            }
        }
        VM.deal(owner, owner.balance + value);
        VM.prank(owner);
        try vault.createCommitment{value: value}(p) returns (uint256 id) {
            return (true, abi.encode(id));
        } catch (bytes memory reason) {
            return (false, reason);
        }
    }

    function _recordCreated(
        address owner,
        ICommitmentVault.CommitmentParams memory p,
        bytes memory ret,
        uint256 vaultBefore
    ) internal {
        uint256 id = abi.decode(ret, (uint256));
        if (id != _world.commitmentCount + 1) _violate("create: ids must be 1, 2, 3, ...", ret);
        if (_vaultBalance(p.token) != vaultBefore + p.amount) _violate("create: stake not received in full", ret);
        _world.commitmentCount = id;
        _models[id] = Model({
            owner: owner,
            token: p.token,
            amount: p.amount,
            start: p.start,
            period: p.period,
            milestones: p.milestones,
            grace: p.grace,
            beneficiary: p.beneficiary,
            closed: false,
            observedClosed: false
        });
        _ghosts[p.token].deposited += p.amount;
    }

    function _permitDigest(address owner, uint256 amount, uint256 deadline) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(PERMIT_TYPEHASH, owner, address(vault), amount, token.nonces(owner), deadline)
        );
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }

    /*//////////////////////////////////////////////////////////////
                          PRIVATE: SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    function _claim(uint256 id, uint256 index, uint64 validUntil, uint8 mode) internal {
        (bytes[] memory signatures, bytes memory sigError) = _signatures(id, index, validUntil, mode);
        bytes memory expected = _claimError(id, index, validUntil, sigError);
        Model storage m = _models[id];
        Balances memory before = _balances(m.token, m.owner);
        bool ok;
        bytes memory ret;
        VM.prank(RELAYER);
        try vault.claimMilestone(id, index, EVIDENCE_HASH, validUntil, signatures) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (!_check(Action.Claim, "claimMilestone", ok, ret, expected)) return;

        _recordClaimed(id, index, before);
    }

    /// @dev A successful claim paid the share (and, for an Appealed milestone, the bond) to the owner.
    function _recordClaimed(uint256 id, uint256 index, Balances memory before) internal {
        Model storage m = _models[id];
        uint256 share = vault.milestoneAmount(id, index);
        uint256 bond =
            _tracks[id][index].last == ICommitmentVault.MilestoneState.Appealed ? _tracks[id][index].bond : 0;
        (uint256 pushed, uint256 creditedPart) = _paid(m.token, m.owner, before, share + bond, "claim");
        if (pushed + creditedPart != share + bond) {
            _violate("claim: owner did not receive the share (and bond)", abi.encode(id, index));
        }
        _ghosts[m.token].released += share;
        _ghosts[m.token].bondsReturned += bond;
        _ghosts[m.token].credited += creditedPart;
        _expect(id, index, ICommitmentVault.MilestoneState.Released);
    }

    /// @dev Starting at a random commitment, the first live one whose current window is Open (so the claim can
    /// succeed unless paused); else the random pick.
    function _claimable(uint256 idSeed, uint256 indexSeed) internal view returns (uint256 id, uint256 index) {
        uint256 count = _world.commitmentCount;
        uint256 first = bound(idSeed, 1, count);
        for (uint256 k; k < count; ++k) {
            id = ((first - 1 + k) % count) + 1;
            Model storage m = _models[id];
            if (m.closed || _world.timestamp < m.start) continue;
            index = (_world.timestamp - m.start) / m.period;
            if (index < m.milestones && _tracks[id][index].last == ICommitmentVault.MilestoneState.Open) {
                return (id, index);
            }
            // A late quorum may settle an appeal at any time: the window before the current one, if Appealed.
            if (
                index != 0 &&
                index <= m.milestones &&
                _tracks[id][index - 1].last == ICommitmentVault.MilestoneState.Appealed
            ) {
                return (id, index - 1);
            }
        }
        return (first, indexSeed);
    }

    /// @dev Starting at a random commitment, the first Open milestone whose claim deadline has passed; else the
    /// random pick.
    /// @dev The first Open milestone (from a random commitment) whose window ended and whose deadline still runs;
    /// else the first Open one with grace whose window has not ended yet, with `warpTo` its window's end (so the
    /// appeal can happen); else the random pick.
    function _appealable(
        uint256 idSeed,
        uint256 indexSeed
    ) internal view returns (uint256 id, uint256 index, uint256 warpTo) {
        uint256 count = _world.commitmentCount;
        uint256 first = bound(idSeed, 1, count);
        (uint256 laterId, uint256 laterIndex) = (first, indexSeed);
        for (uint256 k; k < count; ++k) {
            id = ((first - 1 + k) % count) + 1;
            Model storage m = _models[id];
            if (m.closed) continue;
            for (index = 0; index < m.milestones; ++index) {
                if (_tracks[id][index].last != ICommitmentVault.MilestoneState.Open) continue;
                uint256 end = uint256(m.start) + (index + 1) * m.period;
                if (end > _world.timestamp) {
                    if (warpTo == 0 && m.grace != 0 && !_world.paused) (laterId, laterIndex, warpTo) = (id, index, end);
                    break;
                }
                if (vault.claimDeadline(id, index) > _world.timestamp) return (id, index, 0);
            }
        }
        return (laterId, laterIndex, warpTo);
    }

    /// @dev The first Appealed milestone from a random commitment, else milestone 0 of that commitment.
    function _appealed(uint256 idSeed) internal view returns (uint256 id, uint256 index) {
        uint256 count = _world.commitmentCount;
        uint256 first = bound(idSeed, 1, count);
        for (uint256 k; k < count; ++k) {
            id = ((first - 1 + k) % count) + 1;
            Model storage m = _models[id];
            for (index = 0; index < m.milestones; ++index) {
                if (_tracks[id][index].last == ICommitmentVault.MilestoneState.Appealed) return (id, index);
            }
        }
        return (first, 0);
    }

    /// @dev Checks shared by resolveAppeal and expireAppeal: not paused, live, milestone Appealed.
    function _appealError(uint256 id, uint256 index) internal view returns (bytes memory) {
        if (_world.paused)
            return abi.encodeWithSelector(ICommitmentVault.VaultPaused.selector, uint64(_world.pausedAt));
        if (_models[id].closed) return abi.encodeWithSelector(ICommitmentVault.CommitmentClosed.selector, id);
        ICommitmentVault.MilestoneState state = _tracks[id][index].last;
        if (state != ICommitmentVault.MilestoneState.Appealed) {
            return abi.encodeWithSelector(ICommitmentVault.MilestoneNotAppealed.selector, id, index, state);
        }
        return "";
    }

    /// @dev Seconds paused by every ended pause (what the vault adds up at each unpause).
    function _pausedTotal() internal view returns (uint256 total) {
        for (uint256 k; k < _pauseEnds.length; ++k) {
            if (_pauseEnds[k] != 0) total += _pauseEnds[k] - _pauseStarts[k];
        }
    }

    function _due(uint256 idSeed, uint256 indexSeed) internal view returns (uint256 id, uint256 index) {
        uint256 count = _world.commitmentCount;
        uint256 first = bound(idSeed, 1, count);
        if (_world.paused) return (first, indexSeed);
        for (uint256 k; k < count; ++k) {
            id = ((first - 1 + k) % count) + 1;
            Model storage m = _models[id];
            if (m.closed) continue;
            for (index = 0; index < m.milestones; ++index) {
                if (_tracks[id][index].last != ICommitmentVault.MilestoneState.Open) continue;
                if (vault.claimDeadline(id, index) > _world.timestamp) break;
                return (id, index);
            }
        }
        return (first, indexSeed);
    }

    /// @dev `threshold` signatures by current oracles, ascending by signer. Mode 1 drops one (short of quorum),
    /// mode 3 swaps one for a key that is not a current oracle. Returns the error the quorum check must raise.
    function _signatures(
        uint256 id,
        uint256 index,
        uint64 validUntil,
        uint8 mode
    ) internal view returns (bytes[] memory signatures, bytes memory sigError) {
        uint256 quorum = _oracles.threshold;
        uint256 n = mode == 1 ? quorum - 1 : quorum;
        uint256[] memory keys = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            keys[i] = _oracles.keys[i];
        }
        if (mode == 1) {
            sigError = abi.encodeWithSelector(ICommitmentVault.InsufficientSignatures.selector, n, uint8(quorum));
        } else if (mode == 3) {
            uint256 outsider = _nonOracleKey();
            keys[n - 1] = outsider;
            _sortByAddress(keys);
            for (uint256 i; i < n; ++i) {
                if (keys[i] == outsider) {
                    sigError = abi.encodeWithSelector(ICommitmentVault.SignerNotOracle.selector, i, VM.addr(outsider));
                }
            }
        }
        bytes32 digest = vault.hashAttestation(id, index, EVIDENCE_HASH, validUntil);
        signatures = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = VM.sign(keys[i], digest);
            signatures[i] = abi.encodePacked(r, s, v);
        }
    }

    /// @dev The error claimMilestone must raise, in the order of its documented requirements ("" = success).
    function _claimError(
        uint256 id,
        uint256 index,
        uint64 validUntil,
        bytes memory sigError
    ) internal view returns (bytes memory) {
        bool appealed = _tracks[id][index].last == ICommitmentVault.MilestoneState.Appealed;
        bytes memory common = _settleError(id, index);
        if (common.length != 0 && !(appealed && !_world.paused && !_models[id].closed)) return common;
        Model storage m = _models[id];
        uint256 opensAt = uint256(m.start) + index * m.period;
        if (_world.timestamp < opensAt) {
            return abi.encodeWithSelector(ICommitmentVault.WindowNotOpen.selector, id, index, uint64(opensAt));
        }
        uint64 deadline = vault.claimDeadline(id, index);
        if (!appealed && _world.timestamp >= deadline) {
            return abi.encodeWithSelector(ICommitmentVault.ClaimDeadlinePassed.selector, id, index, deadline);
        }
        if (_world.timestamp > validUntil) {
            return
                abi.encodeWithSelector(
                    ICommitmentVault.AttestationExpired.selector,
                    validUntil,
                    uint64(_world.timestamp)
                );
        }
        return sigError;
    }

    function _slashError(uint256 id, uint256 index) internal view returns (bytes memory) {
        bytes memory common = _settleError(id, index);
        if (common.length != 0) return common;
        uint64 deadline = vault.claimDeadline(id, index);
        if (_world.timestamp < deadline) {
            return abi.encodeWithSelector(ICommitmentVault.ClaimDeadlineNotReached.selector, id, index, deadline);
        }
        return "";
    }

    /// @dev Checks shared by claim and slash: not paused, commitment live, milestone Open.
    function _settleError(uint256 id, uint256 index) internal view returns (bytes memory) {
        if (_world.paused)
            return abi.encodeWithSelector(ICommitmentVault.VaultPaused.selector, uint64(_world.pausedAt));
        if (_models[id].closed) return abi.encodeWithSelector(ICommitmentVault.CommitmentClosed.selector, id);
        ICommitmentVault.MilestoneState state = _tracks[id][index].last;
        if (state != ICommitmentVault.MilestoneState.Open) {
            return abi.encodeWithSelector(ICommitmentVault.MilestoneNotOpen.selector, id, index, state);
        }
        return "";
    }

    /// @dev Cancel: the owner gets every Open share back. Exit: the owner gets back the Open shares that were not yet
    /// slashable when the pause began, the beneficiary is credited the others. Payments to the owner are pushed or
    /// credited; the commitment closes.
    function _refund(Action a, uint256 id, address caller, bytes memory expected) internal {
        bool byExit = a == Action.Exit;
        Split memory split = _closeSplit(id, byExit);
        Model storage m = _models[id];
        Balances memory owner = _balances(m.token, m.owner);
        uint256 beneficiaryCredits = vault.credits(m.beneficiary, m.token);
        (bool ok, bytes memory ret) = _closeAs(caller, id, byExit);
        if (!_check(a, byExit ? "exit" : "cancel", ok, ret, expected)) return;

        if (vault.credits(m.beneficiary, m.token) != beneficiaryCredits + split.forfeit) {
            _violate("exit: beneficiary not credited the forfeited shares", abi.encode(id));
        }
        _recordClose(id, byExit, split, owner);
    }

    function _recordClose(uint256 id, bool byExit, Split memory split, Balances memory owner) internal {
        Model storage m = _models[id];
        string memory name = byExit ? "exit" : "cancel";
        (uint256 pushed, uint256 creditedPart) = _paid(m.token, m.owner, owner, split.refund, name);
        if (pushed + creditedPart != split.refund) {
            _violate(string.concat(name, ": owner refund != open stake"), abi.encode(id));
        }
        if (!byExit && split.refund != m.amount) _violate("cancel: refund != whole stake", abi.encode(id));
        _ghosts[m.token].refunded += split.refund - split.bonds;
        _ghosts[m.token].bondsReturned += split.bonds;
        _ghosts[m.token].slashed += split.forfeit;
        _ghosts[m.token].credited += creditedPart + split.forfeit;
        m.closed = true;
        _expected.closeId = id;
        _expected.byExit = byExit;
        _expected.refunds = split.refunds;
        _expected.forfeits = split.forfeits;
    }

    /// @dev cancel (or exit) as `caller`.
    function _closeAs(address caller, uint256 id, bool isExit) internal returns (bool ok, bytes memory ret) {
        if (caller == address(smartAccount)) {
            bytes memory data = isExit ? abi.encodeCall(vault.exit, (id)) : abi.encodeCall(vault.cancel, (id));
            try smartAccount.execute(address(vault), data) {
                return (true, "");
            } catch (bytes memory reason) {
                return (false, reason);
            }
        }
        VM.prank(caller);
        if (isExit) {
            try vault.exit(id) {
                return (true, "");
            } catch (bytes memory reason) {
                return (false, reason);
            }
        }
        try vault.cancel(id) {
            return (true, "");
        } catch (bytes memory reason) {
            return (false, reason);
        }
    }

    /// @dev withdraw as `account`, or withdrawFor(account) by a relayer.
    function _withdrawAs(address account, address tok, bool viaFor) internal returns (bool ok, bytes memory ret) {
        if (!viaFor && account == address(smartAccount)) {
            try smartAccount.execute(address(vault), abi.encodeCall(vault.withdraw, (tok))) {
                return (true, "");
            } catch (bytes memory reason) {
                return (false, reason);
            }
        }
        VM.prank(viaFor ? RELAYER : account);
        if (viaFor) {
            try vault.withdrawFor(account, tok) {
                return (true, "");
            } catch (bytes memory reason) {
                return (false, reason);
            }
        }
        try vault.withdraw(tok) {
            return (true, "");
        } catch (bytes memory reason) {
            return (false, reason);
        }
    }

    /// @dev The Open shares of a live commitment, split into what goes back to the owner and (for an exit) what is
    /// forfeited because it was already slashable when the current pause began.
    function _closeSplit(uint256 id, bool byExit) internal view returns (Split memory split) {
        Model storage m = _models[id];
        if (m.closed) return split;
        for (uint256 i; i < m.milestones; ++i) {
            Track storage t = _tracks[id][i];
            if (t.last == ICommitmentVault.MilestoneState.Appealed) {
                // An appeal is never forfeited: share and bond go back to the owner.
                split.refund += vault.milestoneAmount(id, i) + t.bond;
                split.bonds += t.bond;
                ++split.refunds;
                continue;
            }
            if (t.last != ICommitmentVault.MilestoneState.Open) continue;
            if (byExit && t.slashableAtPause == _world.pauseCount) {
                split.forfeit += vault.milestoneAmount(id, i);
                ++split.forfeits;
            } else {
                split.refund += vault.milestoneAmount(id, i);
                ++split.refunds;
            }
        }
    }

    /// @dev How a payment of `amount` to `payee` arrived: pushed to the wallet, or credited. The vault must have
    /// sent exactly what was pushed, and exactly one of the two ways must have been used.
    function _paid(
        address tok,
        address payee,
        Balances memory before,
        uint256 amount,
        string memory name
    ) internal returns (uint256 pushed, uint256 creditedPart) {
        Balances memory afterwards = _balances(tok, payee);
        pushed = afterwards.wallet - before.wallet;
        creditedPart = afterwards.credits - before.credits;
        if (before.vault - afterwards.vault != pushed) _violate(string.concat(name, ": vault paid out != pushed"), "");
        if (pushed != 0 && creditedPart != 0) _violate(string.concat(name, ": both pushed and credited"), "");
        if (amount != 0 && pushed == 0 && creditedPart == 0) _violate(string.concat(name, ": nothing paid"), "");
    }

    /*//////////////////////////////////////////////////////////////
                              PRIVATE: PAUSE
    //////////////////////////////////////////////////////////////*/

    function _guardianError(
        address caller,
        bool wrongState,
        bytes memory stateError
    ) internal view returns (bytes memory) {
        if (caller != admin) {
            return
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector,
                    caller,
                    vault.GUARDIAN_ROLE()
                );
        }
        if (wrongState) return stateError;
        return "";
    }

    /// @dev Marks the Open milestones of live commitments that are slashable now (deadline reached) with `pauseNumber`.
    function _markSlashable(uint256 pauseNumber) internal {
        for (uint256 id = 1; id <= _world.commitmentCount; ++id) {
            Model storage m = _models[id];
            if (m.closed) continue;
            for (uint256 i; i < m.milestones; ++i) {
                Track storage t = _tracks[id][i];
                if (t.last != ICommitmentVault.MilestoneState.Open) continue;
                if (_world.timestamp >= vault.claimDeadline(id, i)) t.slashableAtPause = pauseNumber;
            }
        }
    }

    /// @dev Right after an unpause, for every Open milestone: the vault's claimDeadline (O(log pauses) in its unpaused
    /// clock) equals the rule applied directly, pause by pause (`_modelDeadline`); a pause never shortens a deadline;
    /// and a milestone that was already slashable when the pause began is still slashable.
    function _checkPauseExtensions() internal {
        uint256 unpausedAt = _world.timestamp;
        for (uint256 id = 1; id <= _world.commitmentCount; ++id) {
            Model storage m = _models[id];
            if (m.closed) continue;
            for (uint256 i; i < m.milestones; ++i) {
                Track storage t = _tracks[id][i];
                if (t.last != ICommitmentVault.MilestoneState.Open) continue;
                uint256 end = uint256(m.start) + (i + 1) * m.period;
                uint256 actual = vault.claimDeadline(id, i);
                if (actual != _modelDeadline(end, m.grace)) {
                    _violate("unpause: claimDeadline differs from the pause-by-pause rule", abi.encode(id, i));
                }
                if (actual < end + m.grace) _violate("unpause: a pause shortened a deadline", abi.encode(id, i));
                if (t.slashableAtPause == _world.pauseCount && actual > unpausedAt) {
                    _violate(
                        "unpause: a milestone slashable when the pause began is claimable again",
                        abi.encode(id, i)
                    );
                }
            }
        }
    }

    /// @dev The v2 pause rule applied directly, one pause after the other: a pause that began before the current
    /// deadline moves it by the paused time it overlaps after the window's end, and to at least its unpause +
    /// UNPAUSE_CLAIM_TIME (which binds when it ended less than an hour before the deadline, even before the
    /// window's end). The ongoing pause counts as ending now.
    function _modelDeadline(uint256 end, uint256 grace) internal view returns (uint256 d) {
        d = end + grace;
        uint256 n = _pauseStarts.length;
        for (uint256 k; k < n; ++k) {
            uint256 p = _pauseStarts[k];
            uint256 u = _pauseEnds[k] == 0 ? _world.timestamp : _pauseEnds[k];
            if (p >= d) break;
            if (u > end) d += u - (p > end ? p : end);
            if (d < u + 1 hours) d = u + 1 hours;
        }
    }

    /// @dev Seconds paused within the last EXIT_WINDOW (31 days), from the handler's own pause list.
    function _pausedInExitWindow() internal view returns (uint256 total) {
        uint256 from = _world.timestamp > 31 days ? _world.timestamp - 31 days : 0;
        for (uint256 k; k < _pauseStarts.length; ++k) {
            uint256 p = _pauseStarts[k] > from ? _pauseStarts[k] : from;
            uint256 u = _pauseEnds[k] == 0 ? _world.timestamp : _pauseEnds[k];
            if (u > p) total += u - p;
        }
    }

    /*//////////////////////////////////////////////////////////////
                         PRIVATE: OBSERVATION
    //////////////////////////////////////////////////////////////*/

    function _expect(uint256 id, uint256 index, ICommitmentVault.MilestoneState state) internal {
        _expected.id = id;
        _expected.index = index;
        _expected.state = state;
    }

    /// @dev Re-reads the closed flag of every commitment and every milestone of live ones; each change must be an
    /// allowed move caused by the action that just ran. (A closed commitment has no Open milestone left, so its
    /// milestones are not re-read here; invariantMilestonesOnlyMoveForwardOnce compares all of them with `_tracks`.)
    function _observe() internal {
        for (uint256 id = 1; id <= _world.commitmentCount; ++id) {
            Model storage m = _models[id];
            bool closed = vault.getCommitment(id).closed;
            if (m.observedClosed) {
                if (!closed) {
                    ++_counters.reopenedCommitments;
                    _violate("closed commitment became open again", abi.encode(id));
                }
                continue;
            }
            if (closed != m.closed) _violate("closed flag differs from the model", abi.encode(id));
            m.observedClosed = closed;
            uint256 count = m.milestones;
            for (uint256 i; i < count; ++i) {
                ICommitmentVault.MilestoneState s = vault.milestoneState(id, i);
                if (s != _tracks[id][i].last) _transition(id, i, s);
            }
        }
        if (_expected.id != 0) _violate("expected milestone transition did not happen", abi.encode(_expected.id));
        if (_expected.refunds != 0) _violate("expected refunds did not happen", abi.encode(_expected.closeId));
        if (_expected.forfeits != 0) _violate("expected forfeits did not happen", abi.encode(_expected.closeId));
        delete _expected;
    }

    function _transition(uint256 id, uint256 index, ICommitmentVault.MilestoneState to) internal {
        Track storage t = _tracks[id][index];
        ICommitmentVault.MilestoneState from = t.last;
        ++_transitionCount[uint256(from)][uint256(to)];
        t.last = to;
        // Allowed: Open -> Released | Slashed | Refunded | Appealed, Appealed -> Released | Slashed | Refunded.
        bool appealed = from == ICommitmentVault.MilestoneState.Appealed;
        if (
            (from != ICommitmentVault.MilestoneState.Open && !appealed) ||
            to == ICommitmentVault.MilestoneState.Open ||
            (appealed && to == ICommitmentVault.MilestoneState.Appealed)
        ) {
            _violate("forbidden milestone transition", abi.encode(id, index, from, to));
        }
        if (to != ICommitmentVault.MilestoneState.Appealed && ++t.settlements > 1) {
            ++_counters.doubleSettlements;
            _violate("milestone settled more than once", abi.encode(id, index));
        }
        bool forfeitable = _expected.byExit && t.slashableAtPause == _world.pauseCount;
        if (id == _expected.closeId && to == ICommitmentVault.MilestoneState.Refunded && !forfeitable) {
            if (_expected.refunds == 0) _violate("more refunds than Open milestones", abi.encode(id, index));
            else --_expected.refunds;
        } else if (id == _expected.closeId && to == ICommitmentVault.MilestoneState.Slashed && forfeitable) {
            if (_expected.forfeits == 0) _violate("more forfeits than slashable milestones", abi.encode(id, index));
            else --_expected.forfeits;
        } else if (id == _expected.id && index == _expected.index && to == _expected.state) {
            _expected.id = 0;
        } else {
            _violate("milestone changed state without a matching action", abi.encode(id, index, from, to));
        }
    }

    /*//////////////////////////////////////////////////////////////
                           PRIVATE: UTILITIES
    //////////////////////////////////////////////////////////////*/

    /// @dev Compares an outcome with the prediction ("" = success); records a violation on mismatch.
    function _check(
        Action a,
        string memory name,
        bool ok,
        bytes memory ret,
        bytes memory expected
    ) internal returns (bool) {
        if (expected.length == 0) {
            if (!ok) _violate(string.concat(name, ": reverted, expected success"), ret);
        } else if (ok) {
            _violate(string.concat(name, ": succeeded, expected a revert"), expected);
        } else if (keccak256(ret) != keccak256(expected)) {
            _violate(string.concat(name, ": wrong revert (data: actual, expected)"), abi.encode(ret, expected));
        }
        if (ok) ++_counters.successes[uint256(a)];
        else ++revertsSeen[bytes4(ret)];
        return ok;
    }

    function _violate(string memory what, bytes memory data) internal {
        if (_violations.count == 0) {
            _violations.first = what;
            _violations.firstData = data;
        }
        ++_violations.count;
    }

    /// @dev Starting at a random account, the first (account, token) pair with credits; else the random pick.
    function _creditHolder(uint256 seed, bool useToken) internal view returns (address account, address tok) {
        for (uint256 k; k < 12; ++k) {
            account = _actors.accounts[(seed + k) % 6];
            tok = ((seed + k) / 6 + (useToken ? 1 : 0)) % 2 == 0 ? address(0) : address(token);
            if (vault.credits(account, tok) != 0) return (account, tok);
        }
        return (_actors.accounts[seed % 6], useToken ? address(token) : address(0));
    }

    function _balances(address tok, address account) internal view returns (Balances memory b) {
        b.wallet = tok == address(0) ? account.balance : token.balanceOf(account);
        b.credits = vault.credits(account, tok);
        b.vault = _vaultBalance(tok);
    }

    function _vaultBalance(address tok) internal view returns (uint256) {
        return tok == address(0) ? address(vault).balance : token.balanceOf(address(vault));
    }

    function _setOracleModel(uint256 mask, uint256 quorum) internal {
        uint256 size;
        for (uint256 i; i < POOL_SIZE; ++i) {
            if (mask & (1 << i) != 0) ++size;
        }
        uint256[] memory keys = new uint256[](size);
        uint256 n;
        for (uint256 i; i < POOL_SIZE; ++i) {
            if (mask & (1 << i) != 0) keys[n++] = _oracles.pool[i];
        }
        _sortByAddress(keys);
        _oracles.keys = keys;
        _oracles.threshold = quorum;
    }

    /// @dev A pool key that is not a current oracle (a removed one), else a key that never was one.
    function _nonOracleKey() internal view returns (uint256) {
        for (uint256 i; i < POOL_SIZE; ++i) {
            bool current;
            for (uint256 j; j < _oracles.keys.length; ++j) {
                if (_oracles.keys[j] == _oracles.pool[i]) current = true;
            }
            if (!current) return _oracles.pool[i];
        }
        return OUTSIDER_KEY;
    }

    function _sortByAddress(uint256[] memory keys) internal pure {
        for (uint256 i = 1; i < keys.length; ++i) {
            for (uint256 j = i; j > 0 && VM.addr(keys[j]) < VM.addr(keys[j - 1]); --j) {
                (keys[j], keys[j - 1]) = (keys[j - 1], keys[j]);
            }
        }
    }

    function _sub(uint256 seed, uint256 salt) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }
}
