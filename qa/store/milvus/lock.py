"""One build of an index at a time: a file lock beside a Milvus Lite file, a lease on a Milvus server."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from typing import Any

from qa.errors import BuildLockedError, QAError
from qa.store.milvus.connection import Address, Connection

# A build's lease on a Milvus server: renewed as it goes, free again this long after a crash.
LEASE_SECONDS = 300


def lock_file(address: Address, wait: bool, on_wait: Callable[[str], None] | None) -> Any:
    """Hold ``PATH.db.lock`` beside a Milvus Lite file (an OS lock: released if the process dies).

    Raises:
        BuildLockedError: another build holds it and ``wait`` is False.
        QAError: the lock file cannot be created.
    """
    from filelock import FileLock, Timeout

    assert address.path is not None
    try:
        address.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(address.path) + ".lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                raise BuildLockedError(
                    f"another `qa index` is building {address.text}: try again when it has finished"
                ) from None
            if on_wait:
                on_wait(f"another `qa index` is building {address.text}: waiting for it to finish")
            lock.acquire()
    except OSError as exc:
        raise QAError(f"cannot write {address.where} ({exc.strerror or exc})") from None
    return lock


class Lease:
    """One build at a time on a Milvus server: a row in ``PREFIX_build_lock`` naming the holder until it expires.

    Not a true mutex (Milvus has no compare-and-set), but two `qa index` runs started
    seconds apart see each other: the second waits, or fails with ``--no-wait``.
    """

    def __init__(self, db: Connection, wait: bool, on_wait: Callable[[str], None] | None) -> None:
        self.db = db
        self.collection = f"{db.address.prefix}_build_lock"
        self.holder = f"{secrets.token_hex(8)}"
        self.renewed = 0.0
        self._ensure()
        told = False
        while True:
            current = self._current()
            if current is None or current["holder"] == self.holder or current["expires"] < time.time():
                self._write()
                time.sleep(0.5)
                current = self._current()
                if current is not None and current["holder"] == self.holder:
                    return
            if not wait:
                raise BuildLockedError(
                    f"another `qa index` is building {db.address.text}: try again when it has finished"
                )
            if on_wait and not told:
                on_wait(f"another `qa index` is building {db.address.text}: waiting for it to finish")
                told = True
            time.sleep(2.0)

    def _ensure(self) -> None:
        from pymilvus import DataType

        if self.db.call("has_collection", self.collection):
            return
        client = self.db.client
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
        s.add_field("holder", DataType.VARCHAR, max_length=64)
        s.add_field("expires", DataType.DOUBLE)
        s.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
        index = client.prepare_index_params()
        index.add_index("_v", index_type="FLAT", metric_type="L2")
        with contextlib.suppress(QAError):  # another build may create it at the same moment
            self.db.call("create_collection", self.collection, schema=s, index_params=index)

    def _current(self) -> dict | None:
        rows = self.db.call(
            "query", self.collection, ids=["build"], output_fields=["holder", "expires"], consistency_level="Strong"
        )
        return dict(rows[0]) if rows else None

    def _write(self) -> None:
        row = {"key": "build", "holder": self.holder, "expires": time.time() + LEASE_SECONDS, "_v": [0.0, 0.0]}
        self.db.call("upsert", self.collection, [row])
        self.renewed = time.time()

    def renew(self) -> None:
        if time.time() - self.renewed > LEASE_SECONDS / 3:
            self._write()

    def release(self) -> None:
        with contextlib.suppress(QAError):
            current = self._current()
            if current is not None and current["holder"] == self.holder:
                self.db.call("delete", self.collection, ids=["build"])
