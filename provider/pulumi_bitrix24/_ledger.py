"""What one provider process (one `pulumi up`, preview or destroy) has claimed and created, per portal.

Pulumi runs every dynamic resource of an operation in one provider process, so this process-wide record is
what lets a create see the identities other resources of the same run claimed, and lets a delete see that
another resource of the run now manages the same object (a rename without an alias).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable


class Ledger:
    """Thread-safe record of identities this stack holds, claimed by creates, and object ids creates took."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owned: dict[tuple[str, str, Hashable], str] = {}
        self._released: set[tuple[str, str, Hashable]] = set()
        self._absent: set[tuple[str, str, Hashable]] = set()
        self._claimed: set[tuple[str, str, Hashable]] = set()
        self._taken: set[tuple[str, str, Hashable]] = set()

    def own(self, portal: str, kind: str, identity: Hashable, inputs: str) -> None:
        """Note an identity that a resource of this stack already holds (its state names it), with a
        fingerprint of the inputs it declares now."""
        with self._lock:
            self._owned[(portal, kind, identity)] = inputs

    def owner(self, portal: str, kind: str, identity: Hashable) -> str | None:
        """The input fingerprint of the resource of this stack that holds the identity, unless it let it go."""
        key = (portal, kind, identity)
        with self._lock:
            return None if key in self._released else self._owned.get(key)

    def release(self, portal: str, kind: str, identity: Hashable) -> None:
        """The object under this identity is being deleted: a create may take the identity now."""
        with self._lock:
            self._released.add((portal, kind, identity))

    def found_absent(self, portal: str, kind: str, identity: Hashable) -> None:
        """Note that a check of this run looked the identity up and the portal had nothing under it."""
        with self._lock:
            self._absent.add((portal, kind, identity))

    def absent(self, portal: str, kind: str, identity: Hashable) -> bool:
        with self._lock:
            return (portal, kind, identity) in self._absent

    def claim(self, portal: str, kind: str, identity: Hashable) -> bool:
        """Claim an identity for one create; False when another create of this run already holds it."""
        key = (portal, kind, identity)
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True

    def record(self, portal: str, kind: str, object_id: Hashable) -> None:
        """Remember that a resource of this run now manages the object."""
        with self._lock:
            self._taken.add((portal, kind, object_id))

    def recorded(self, portal: str, kind: str, object_id: Hashable) -> bool:
        with self._lock:
            return (portal, kind, object_id) in self._taken


LEDGER = Ledger()
