// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1271WalletMock} from "./ERC1271WalletMock.sol";

/// @title A CREATE2 factory of `ERC1271WalletMock`s: a wallet's address is known before it is deployed
/// @notice What a counterfactual smart wallet (ERC-6492) needs: `walletAddress` predicts the address, and an ERC-6492
/// signature carries this factory and `deploy`'s calldata so a verifier can deploy the wallet in a simulated call and
/// then ask it (EIP-1271). Never deployed outside tests.
contract ERC1271WalletFactoryMock {
    /// @notice Emitted when `deploy` creates the wallet of `owner` with `salt` at `wallet`.
    event WalletDeployed(address indexed owner, bytes32 indexed salt, address wallet);

    /// @notice Deploys the wallet of `owner` for `salt` (reverts when it already exists).
    function deploy(address owner, bytes32 salt) external returns (address wallet) {
        wallet = address(new ERC1271WalletMock{salt: salt}(owner));
        emit WalletDeployed(owner, salt, wallet);
    }

    /// @notice The address `deploy(owner, salt)` creates the wallet at.
    function walletAddress(address owner, bytes32 salt) external view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(ERC1271WalletMock).creationCode, abi.encode(owner)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash)))));
    }
}
