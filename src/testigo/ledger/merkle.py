"""The append-only Merkle log: RFC 9162 hashing, tree heads, proofs and their verification.

Hashing follows RFC 9162 §2.1 (Certificate Transparency v2, the same as RFC
6962): leaf hash ``SHA-256(0x00 || entry)``, interior node hash
``SHA-256(0x01 || left || right)``, and the tree head (MTH) of ``n`` leaves
splits at the largest power of two smaller than ``n``. Sticking to the RFC
means anyone can check a published testigo bundle with an existing
Certificate Transparency or sumdb tool, not only with testigo.

Speed comes from one observation: every subtree the RFC recursion hashes
is either *perfect* (``2**level`` leaves starting at a multiple of
``2**level``) or the right edge of the tree, and the right edge is itself a
run of perfect subtrees. So the log stores the hash of every perfect subtree
once, keyed by ``(level, index)``, the moment its last leaf is appended; a
root or a proof for any tree size is then a handful of lookups (O(log n),
fetched in one `NodeStore.get_many` call) plus O(log n) hashes, instead of
rehashing a million leaves.

The storage is the small `NodeStore` protocol so the same log runs on the
in-memory store here and on a database table, where appending an entry
writes its nodes in the same transaction as the data it records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from testigo.ledger.errors import ProofError

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the tree with no leaves: SHA-256 of the empty string (RFC 9162 §2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """Hash of one log entry; the 0x00 prefix keeps leaves from passing for interior nodes."""
    return _sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node from the hashes of its two children."""
    return _sha256(_NODE_PREFIX + left + right).digest()


@dataclass(frozen=True, slots=True)
class NodeId:
    """A perfect subtree: the ``2**level`` leaves from ``index * 2**level``. Level 0 is a leaf."""

    level: int
    index: int


@dataclass(frozen=True, slots=True)
class Node:
    """A perfect subtree with its hash, as written to a `NodeStore`."""

    level: int
    index: int
    hash: bytes


class NodeStore(Protocol):
    """Where a `MerkleLog` keeps the hashes of its perfect subtrees.

    The calls are batched so that a database-backed store costs one query per
    call: a root or proof is one `get_many`, an append is one `put_many`.
    """

    def size(self) -> int:
        """Number of leaves stored, that is the number of nodes at level 0."""
        ...

    def get_many(self, ids: Sequence[NodeId]) -> list[bytes]:
        """Hashes of the given nodes, in the same order; raises `KeyError` for a node never stored."""
        ...

    def put_many(self, nodes: Sequence[Node]) -> None:
        """Store new nodes. Within each level they arrive in increasing, gap-free index order.

        A node is written once and never changed: the store must reject one
        that already exists (a database does so with a primary key on
        ``(level, index)``), which is what stops two writers from forking the log.
        """
        ...


class InMemoryNodeStore:
    """A `NodeStore` in memory: one contiguous byte array per level (32 bytes a node).

    Flat arrays keep a million-leaf log at about 64 MB instead of the ~150 MB
    of two million separate `bytes` objects.
    """

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE if self._levels else 0

    def get_many(self, ids: Sequence[NodeId]) -> list[bytes]:
        return [self._get(node.level, node.index) for node in ids]

    def _get(self, level: int, index: int) -> bytes:
        start = index * HASH_SIZE
        if level >= len(self._levels) or index < 0 or start + HASH_SIZE > len(self._levels[level]):
            raise KeyError(f"no node at level {level} index {index}")
        return bytes(self._levels[level][start : start + HASH_SIZE])

    def put_many(self, nodes: Sequence[Node]) -> None:
        for node in nodes:
            while len(self._levels) <= node.level:
                self._levels.append(bytearray())
            stored = self._levels[node.level]
            if node.index * HASH_SIZE != len(stored) or len(node.hash) != HASH_SIZE:
                raise ValueError(
                    f"node ({node.level}, {node.index}) is not the next {HASH_SIZE}-byte node of level {node.level}, "
                    f"which holds {len(stored) // HASH_SIZE}: the store is append-only"
                )
            stored += node.hash


# --- Tree shape: pure functions of indices and sizes, shared by proofs and their verification.


def _split(count: int) -> int:
    """RFC 9162's k: the largest power of two strictly smaller than `count` (>= 2)."""
    return 1 << ((count - 1).bit_length() - 1)


def _perfect_subtrees(start: int, end: int) -> list[NodeId]:
    """The perfect subtrees covering leaves [start, end), largest first.

    `start` must be a multiple of the largest power of two not above
    ``end - start``, which holds for every range the RFC recursion visits
    (its left halves are powers of two). Folding their hashes right to left
    (`_fold`) then gives exactly the RFC's MTH of the range.
    """
    ids: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        ids.append(NodeId(level, start >> level))
        start += 1 << level
    return ids


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive perfect subtrees, largest first: the right edge nests to the right."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf side first."""
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1.

    Follows SUBPROOF(m, D[n], b): descend towards the old tree's last leaf;
    `whole` stays true while the current subtree starts at leaf 0, in which
    case the old root is already known to the verifier and is left out.
    """
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, new_size, True
    while old_size != end:
        middle = start + _split(end - start)
        if old_size <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start, whole = middle, False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


# --- The log.


class MerkleLog:
    """An append-only Merkle log over a `NodeStore`.

    The log keeps the hashes of the perfect subtrees of its current tree (at
    most one per level, the "frontier") in memory, because those are the only
    nodes an append combines with; an append therefore only writes. The
    frontier is read from the store when the object is created, which costs one
    `size` and one `get_many` call: with a shared database, create the
    `MerkleLog` inside the transaction that holds the writer lock, and drop it
    if that transaction rolls back. Not thread-safe.
    """

    def __init__(self, store: NodeStore | None = None) -> None:
        self._store: NodeStore = InMemoryNodeStore() if store is None else store
        self._size = self._store.size()
        self._frontier = self._store.get_many(_perfect_subtrees(0, self._size))

    @property
    def size(self) -> int:
        """Number of entries appended so far."""
        return self._size

    def append(self, entry: bytes) -> int:
        """Append one entry; returns its leaf index."""
        return self.append_many((entry,)).start

    def append_many(self, entries: Iterable[bytes]) -> range:
        """Append entries in order with a single `put_many`; returns their leaf indices.

        Each leaf is stored, then merged with the frontier for as long as it
        completes a perfect subtree (once per trailing 1-bit of its index), so
        on average a leaf costs two hashes and two stored nodes.
        """
        first = size = self._size
        frontier = list(self._frontier)
        nodes: list[Node] = []
        for entry in entries:
            hash_ = leaf_hash(entry)
            nodes.append(Node(0, size, hash_))
            level, index = 0, size
            while index & 1:
                hash_ = node_hash(frontier.pop(), hash_)
                level, index = level + 1, index >> 1
                nodes.append(Node(level, index, hash_))
            frontier.append(hash_)
            size += 1
        self._store.put_many(nodes)
        self._size, self._frontier = size, frontier
        return range(first, size)

    def root(self, size: int | None = None) -> bytes:
        """Tree head (MTH) of the first `size` entries; the current tree by default."""
        return self._hash_ranges([(0, self._tree_size(size))])[0]

    def leaf_hash(self, index: int) -> bytes:
        """The stored leaf hash of entry `index`."""
        self._require_leaf(index, self._size)
        return self._store.get_many([NodeId(0, index)])[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path proving entry `index` is in the tree of `size` entries (RFC 9162 §2.1.3.1)."""
        size = self._tree_size(size)
        self._require_leaf(index, size)
        return self._hash_ranges(_inclusion_ranges(index, size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the tree of `old_size` entries is a prefix of the tree of `new_size` (RFC 9162 §2.1.4.1)."""
        new_size = self._tree_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old tree size {old_size} is not between 0 and the new size {new_size}")
        return self._hash_ranges(_consistency_ranges(old_size, new_size))

    def _tree_size(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"tree size {size} is not between 0 and the log's size {self._size}")
        return size

    @staticmethod
    def _require_leaf(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of size {size}")

    def _hash_ranges(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """MTH of each range, fetching every node they need in one `get_many`."""
        groups = [_perfect_subtrees(start, end) for start, end in ranges]
        stored = iter(self._store.get_many([node for group in groups for node in group]))
        return [_fold([next(stored) for _ in group]) for group in groups]


# --- Verification: RFC 9162 §2.1.3.2 and §2.1.4.2, needing only hashes, never the log.


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that the leaf hash `leaf` is entry `index` of the tree of `size` entries with `root`.

    Arguments in the order of Go's proof.VerifyInclusion. Returns nothing on
    success; raises `ProofError` saying what did not match.
    `leaf` is `leaf_hash(entry)`, not the entry itself. A root does not encode
    its tree size (a proof for leaf 0 of 33 entries also passes with size 34),
    so take `size` and `root` together from a verified checkpoint.
    """
    what = f"inclusion proof for leaf {index} in a tree of size {size}"
    _require_hashes(what, proof, {"leaf hash": leaf, "root hash": root})
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside the tree of size {size}")

    def wrong_length() -> ProofError:
        return ProofError(f"{what} has {len(proof)} hashes, expected {len(_inclusion_ranges(index, size))}")

    found = leaf
    fn, sn = index, size - 1
    for sibling in proof:
        if sn == 0:
            raise wrong_length()
        if fn & 1 or fn == sn:
            found = node_hash(sibling, found)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            found = node_hash(found, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise wrong_length()
    if found != root:
        raise ProofError(
            f"leaf {index} with hash {leaf.hex()} is not in the tree of size {size}: "
            f"the proof yields root {found.hex()} but the tree head has root {root.hex()}"
        )


def verify_consistency(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes) -> None:
    """Check that the tree of `old_size` entries with `old_root` is a prefix of the one of `new_size` with `new_root`.

    This is what shows that nothing was altered or removed between two
    published checkpoints, which is where sizes and roots must come from.
    Arguments in the order of Go's proof.VerifyConsistency. Returns nothing on
    success; raises `ProofError`. Sizes 0 to n and n to n need an empty proof:
    the roots alone decide.
    """
    what = f"consistency proof from size {old_size} to size {new_size}"
    _require_hashes(what, proof, {"old root hash": old_root, "new root hash": new_root})
    if not 0 <= old_size <= new_size:
        raise ProofError(f"tree size went from {old_size} to {new_size}: a log can only grow")

    def wrong_length() -> ProofError:
        return ProofError(f"{what} has {len(proof)} hashes, expected {len(_consistency_ranges(old_size, new_size))}")

    if old_size in (0, new_size):
        if proof:
            raise wrong_length()
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError(
                f"the tree head of size 0 has root {old_root.hex()}, expected the empty root {EMPTY_ROOT.hex()}"
            )
        if old_size == new_size and old_root != new_root:
            raise ProofError(
                f"two tree heads of size {old_size} have different roots {old_root.hex()} and {new_root.hex()}: "
                "the log was rewritten"
            )
        return
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    if not path:
        raise wrong_length()
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    found_old = found_new = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise wrong_length()
        if fn & 1 or fn == sn:
            found_old = node_hash(sibling, found_old)
            found_new = node_hash(sibling, found_new)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            found_new = node_hash(found_new, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise wrong_length()
    _require_root(what, "old", old_root, found_old)
    _require_root(what, "new", new_root, found_new)


def _require_root(what: str, which: str, expected: bytes, found: bytes) -> None:
    if found != expected:
        raise ProofError(
            f"{what} does not match the {which} tree head: "
            f"it yields root {found.hex()} but the {which} root is {expected.hex()}"
        )


def _require_hashes(what: str, proof: Sequence[bytes], named: dict[str, bytes]) -> None:
    """Reject hashes of the wrong length before they can be mistaken for a mismatch."""
    for name, value in [*named.items(), *((f"hash {i} of the {what}", h) for i, h in enumerate(proof))]:
        if len(value) != HASH_SIZE:
            raise ProofError(f"{name} is {len(value)} bytes, expected {HASH_SIZE}")
