"""Merkle tree hashing as in RFC 6962 (Certificate Transparency), section 2.1.

``MTH({})`` is SHA-256 of the empty string; a leaf is ``SHA-256(0x00 ‖ data)``; a node is
``SHA-256(0x01 ‖ left ‖ right)``; a list of n > 1 leaves splits at k, the largest power of two
smaller than n: ``MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))``. No Django here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of one leaf: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Return the largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash over already-hashed leaves, by the recursive definition."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_of_leaf_hashes(leaves[:k]), root_of_leaf_hashes(leaves[k:]))


def merkle_root(entries: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash of the entries (each one is hashed as a leaf)."""
    return root_of_leaf_hashes([leaf_hash(entry) for entry in entries])


class MerkleAccumulator:
    """Compute the roots of a growing list in one pass, keeping only O(log n) hashes.

    The stack holds the roots of the perfect subtrees that the binary form of ``size`` names,
    largest (leftmost) first. The RFC 6962 root of the first ``size`` leaves folds them from the
    right: ``node(P1, node(P2, … node(Pk-1, Pk)))``.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []

    def append_leaf_hash(self, leaf: bytes) -> None:
        """Add one already-hashed leaf."""
        height, value = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            value = node_hash(left, value)
            height += 1
        self._stack.append((height, value))
        self.size += 1

    def append(self, entry: bytes) -> None:
        """Add one entry (hashed here as a leaf)."""
        self.append_leaf_hash(leaf_hash(entry))

    def root(self) -> bytes:
        """Return the Merkle tree hash of the leaves added so far."""
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value
