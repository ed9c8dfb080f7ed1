"""Known answers for the RFC 6962 Merkle tree hash, computed by hand from its definition."""

from __future__ import annotations

import hashlib

import pytest

from nonpro.core.audit.merkle import MerkleAccumulator, merkle_root


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def test_the_empty_tree_is_the_hash_of_the_empty_string() -> None:
    expected = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    assert merkle_root([]) == expected
    assert MerkleAccumulator().root() == expected


def test_one_leaf_is_the_hash_of_0x00_and_the_entry() -> None:
    # RFC 6962 test vector: the leaf hash of the empty entry.
    assert merkle_root([b""]).hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle_root([b"event one"]) == sha256(b"\x00event one")


def test_two_leaves_make_one_node() -> None:
    assert merkle_root([b"a", b"b"]) == node(leaf(b"a"), leaf(b"b"))


def test_three_leaves_split_at_two() -> None:
    # n = 3: k = 2, the largest power of two smaller than 3; the right subtree is the lone leaf.
    expected = node(node(leaf(b"a"), leaf(b"b")), leaf(b"c"))

    assert merkle_root([b"a", b"b", b"c"]) == expected


def test_five_leaves_split_at_four_not_in_the_middle() -> None:
    left = node(node(leaf(b"1"), leaf(b"2")), node(leaf(b"3"), leaf(b"4")))
    expected = node(left, leaf(b"5"))

    assert merkle_root([b"1", b"2", b"3", b"4", b"5"]) == expected
    # A balanced split (3 + 2) would give another root: the RFC split matters.
    balanced = node(node(node(leaf(b"1"), leaf(b"2")), leaf(b"3")), node(leaf(b"4"), leaf(b"5")))
    assert expected != balanced


def test_rfc_6962_reference_vectors() -> None:
    # The eight inputs and roots of the Certificate Transparency reference tests (merkle_tree_test.cc).
    inputs = [bytes.fromhex(value) for value in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                                 "606162636465666768696a6b6c6d6e6f"]]  # fmt: skip
    roots = {
        1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    }
    for size, root in roots.items():
        assert merkle_root(inputs[:size]).hex() == root, size


@pytest.mark.parametrize("size", range(0, 40))
def test_the_one_pass_accumulator_agrees_with_the_recursive_definition(size: int) -> None:
    entries = [f"entry {i}".encode() for i in range(size)]
    accumulator = MerkleAccumulator()
    for entry in entries:
        accumulator.append(entry)

    assert accumulator.size == size
    assert accumulator.root() == merkle_root(entries)
