"""`LOAD DATA LOCAL INFILE` without local files: the data is sent from memory.

PyMySQL's own `local_infile` opens whatever file the server names, so a
hostile server could read files of this machine. `LocalDataConnection`
answers only the request for the name of the statement it is running.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pymysql
from pymysql.connections import MySQLResult

PACKET_BYTES = 16 * 1024
"""Size of the data packets of `LOAD DATA LOCAL`, as PyMySQL sends files."""

if TYPE_CHECKING:
    _Connection = pymysql.connections.Connection[Any]
else:
    _Connection = pymysql.connections.Connection


class LocalDataConnection(_Connection):
    """A PyMySQL connection that sends `LOAD DATA LOCAL INFILE` data from memory.

    It announces that it can send local files, but answers the server's
    request for one only during `load_local`, and only when the server asks
    for the name that statement gave: any other request gets no data and
    fails. So a server, even a hostile one, never reads a file of this
    machine (PyMySQL itself would open whatever file the server names).
    """

    _offer: tuple[bytes, Iterable[memoryview]] | None = None

    def load_local(self, sql: str, name: str, pieces: Iterable[memoryview]) -> tuple[int, int]:
        """Run `sql`, a `LOAD DATA LOCAL INFILE` of the file `name`, sending the
        `pieces` in turn as its content (the server loads one while the next is
        made); returns the rows loaded and the warnings.

        A piece that fails to be made ends the data early and raises: the
        caller's transaction must then be rolled back."""
        self._offer = (name.encode(), pieces)
        try:
            loaded = self.query(sql)
        finally:
            self._offer = None
        result = self._result
        return int(loaded), int(result.warning_count if result is not None else 0)

    def _take_offer(self, name: bytes) -> Iterable[memoryview] | None:
        offer, self._offer = self._offer, None
        return offer[1] if offer is not None and offer[0] == name else None

    def _read_query_result(self, unbuffered: bool = False) -> int | None:
        # PyMySQL's own, reading the result with `_LocalDataResult`.
        self._result = None
        result = _LocalDataResult(self)
        if unbuffered:
            result.init_unbuffered_query()
        else:
            result.read()
        self._result = result
        if result.server_status is not None:
            self.server_status = result.server_status
        return result.affected_rows


class _LocalDataResult(MySQLResult):
    def _read_load_local_packet(self, first_packet: Any) -> None:
        conn = self.connection
        assert isinstance(conn, LocalDataConnection)
        data = conn._take_offer(bytes(first_packet.get_all_data()[1:]))
        try:
            for piece in data or ():
                for start in range(0, len(piece), PACKET_BYTES):
                    conn.write_packet(piece[start : start + PACKET_BYTES])
        finally:
            conn.write_packet(b"")  # the end of the data
            ok_packet = conn._read_packet()  # type: ignore[no-untyped-call]  # raises on an error
        if data is None:
            raise pymysql.err.OperationalError(2068, "LOAD DATA LOCAL request rejected")
        if not ok_packet.is_ok_packet():
            raise pymysql.err.OperationalError(2014, "Commands out of sync")
        self._read_ok_packet(ok_packet)  # type: ignore[attr-defined]
