"""The graph client: owns the one async driver of the process and runs named queries."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from neo4j import (
    AsyncDriver,
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    Record,
    RoutingControl,
)
from neo4j.exceptions import AuthError, ServiceUnavailable

from core.bounded import each_bounded
from core.settings import DEV_SUPPRESSION_KEY, WRITES_IN_FLIGHT, Settings
from graph import write_counts
from graph.errors import Neo4jUnavailable
from graph.queries import cypher

log = logging.getLogger(__name__)
T = TypeVar("T")

Params = Mapping[str, Any]
Row = dict[str, Any]


class GraphClient:
    """Runs the service's Cypher against one database through one shared driver.

    Queries are referred to by name (a file in `cypher/`) or, for the few built by
    query builders, by text together with a name used for logging and counting.
    Parameters are never logged: they hold customers' personal data.
    """

    def __init__(
        self,
        driver: AsyncDriver,
        database: str,
        uri: str = "",
        suppression_keys: tuple[bytes, ...] = (DEV_SUPPRESSION_KEY.encode(),),
        writes_in_flight: int = WRITES_IN_FLIGHT,
    ) -> None:
        self.driver = driver
        self.writes_in_flight = writes_in_flight
        """How many write transactions `write_each` keeps open at once."""
        self.database = database
        self.uri = uri
        self.suppression_keys = suppression_keys
        """The secrets of the database's suppression hashes (`ingest.suppression`), first
        one writing: they belong to the data this client reads, so they travel with it."""
        self.query_count = 0
        """How many queries this client has sent (tests use it to prove there is no N+1)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphClient:
        driver = AsyncGraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
            max_connection_pool_size=settings.neo4j_max_pool_size,
            connection_timeout=settings.neo4j_connect_timeout_s,
            max_transaction_retry_time=settings.neo4j_max_retry_time_s,
            # Server notifications quote the query text; keep them out of the logs.
            notifications_min_severity="OFF",
        )
        keys = tuple(k.get_secret_value().encode() for k in settings.suppression_hmac_keys)
        return cls(
            driver,
            settings.neo4j_database,
            settings.neo4j_uri,
            keys,
            writes_in_flight=settings.neo4j_writes_in_flight,
        )

    async def close(self) -> None:
        await self.driver.close()

    async def verify(self) -> None:
        """Raise `Neo4jUnavailable` unless the server answers a query."""
        try:
            await self.driver.verify_connectivity()
            await self.read_text("ping", "RETURN 1 AS ok")
        except (ServiceUnavailable, AuthError, OSError) as exc:
            raise Neo4jUnavailable(self.uri, type(exc).__name__) from exc

    async def read(self, name: str, params: Params | None = None) -> list[Row]:
        """Run `cypher/<name>.cypher` as a read, return its rows as dicts."""
        return await self.read_text(name, cypher(name), params)

    async def write(self, name: str, params: Params | None = None) -> list[Row]:
        """Run `cypher/<name>.cypher` as a write in its own transaction."""
        return await self.write_text(name, cypher(name), params)

    async def read_text(self, name: str, query: str, params: Params | None = None) -> list[Row]:
        return await self._execute(name, query, params, RoutingControl.READ)

    async def write_text(self, name: str, query: str, params: Params | None = None) -> list[Row]:
        return await self._execute(name, query, params, RoutingControl.WRITE)

    async def _execute(
        self, name: str, query: str, params: Params | None, routing: RoutingControl
    ) -> list[Row]:
        return [r.data() for r in await self._records(name, query, params, routing)]

    async def _records(
        self, name: str, query: str, params: Params | None, routing: RoutingControl
    ) -> list[Record]:
        """Run a query in a managed transaction; its records as the driver decoded them.
        Logs the query's name only: parameters hold customer data."""
        self.query_count += 1
        log.debug("cypher %s", name)
        result = await self.driver.execute_query(
            query,  # query text comes from cypher/ or a builder
            parameters_=dict(params or {}),
            database_=self.database,
            routing_=routing,
        )
        write_counts.record(name, result.summary.counters)
        return list(result.records)

    async def stream(
        self, name: str, params: Params | None = None, *, fetch_size: int = 10_000
    ) -> AsyncIterator[list[Any]]:
        """Yield the rows of a large read one by one (values in RETURN order), unbuffered."""
        self.query_count += 1
        log.debug("cypher %s (stream)", name)
        async with self.driver.session(
            database=self.database, default_access_mode="READ", fetch_size=fetch_size
        ) as session:
            result = await session.run(cypher(name), dict(params or {}))
            async for record in result:
                yield record.values()
            write_counts.record(name, (await result.consume()).counters)

    async def read_rows(self, name: str, params: Params | None = None) -> list[Any]:
        """Run `cypher/<name>.cypher`, a read returning one row whose `rows` column holds
        a list (`RETURN collect(...) AS rows`), and return that list as decoded.

        For reads of thousands of rows: one Bolt record instead of one per row, and no
        `Record.data()` walk over the values.
        """
        records = await self._records(name, cypher(name), params, RoutingControl.READ)
        return list(records[0]["rows"]) if records else []

    async def pages(
        self, name: str, params: Params | None = None, *, page: int = 10_000
    ) -> AsyncIterator[list[Any]]:
        """Read every node of a label a page at a time (keyset pagination), one row per page.

        `cypher/<name>.cypher` takes `$after` (the last key of the previous page, "" first)
        and `$page`, and returns one row: `last` (the page's last key), `scanned` (nodes in
        the page) and `rows` (a list). Yields each page's `rows`. One Bolt record per page
        rather than per row: the driver's per-record cost dominates large reads otherwise.
        """
        after = ""
        query = cypher(name)
        while True:
            records = await self._records(
                name, query, {**(params or {}), "after": after, "page": page}, RoutingControl.READ
            )
            # Values as decoded, not `Record.data()`: that walks every nested value again.
            last, scanned, rows = records[0].values() if records else ("", 0, [])
            if not scanned:
                return
            yield rows
            if scanned < page:
                return
            after = last

    async def write_each(
        self,
        name: str,
        query: str,
        batches: Iterable[Params],
        *,
        in_flight: int | None = None,
        after_each: Callable[[], None] | None = None,
    ) -> None:
        """Run `query` once per parameter set of `batches`, each in its own transaction,
        up to `in_flight` at once (`writes_in_flight` by default); return when every one
        has committed.

        For a phase of writes whose batches touch disjoint data (profiles, records), so that
        their order does not matter and two at once do not wait on each other's locks. The
        batches are taken lazily: at most `in_flight` are held at a time. `after_each` runs
        after each commit. The first failure is raised once the transactions in flight beside
        it have ended; no batch is started once it is seen.
        """

        async def one(params: Params) -> None:
            await self._records(name, query, params, RoutingControl.WRITE)
            if after_each is not None:
                after_each()

        limit = self.writes_in_flight if in_flight is None else in_flight
        await each_bounded(batches, one, limit)

    async def write_batched(self, name: str, params: Params | None = None) -> None:
        """Run `cypher/<name>.cypher` in an auto-commit transaction.

        Needed by queries that use `CALL { ... } IN TRANSACTIONS` to work through more rows
        than one transaction should hold.
        """
        self.query_count += 1
        log.debug("cypher %s (auto-commit)", name)
        async with self.driver.session(database=self.database) as session:
            result = await session.run(cypher(name), dict(params or {}))
            write_counts.record(name, (await result.consume()).counters)

    async def in_write_tx(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `work` in one managed write transaction (retried as a whole on transient errors)."""
        async with self.driver.session(database=self.database) as session:

            async def run(tx: AsyncManagedTransaction) -> T:
                return await work(Tx(tx, self))

            return await session.execute_write(run)


class Tx:
    """A transaction handed to repository functions that write several statements at once."""

    def __init__(self, tx: Any, client: GraphClient) -> None:
        self._tx = tx
        self._client = client

    async def run(self, name: str, params: Params | None = None) -> list[Row]:
        return await self.run_text(name, cypher(name), params)

    async def run_text(self, name: str, query: str, params: Params | None = None) -> list[Row]:
        self._client.query_count += 1
        log.debug("cypher %s (tx)", name)
        result = await self._tx.run(query, dict(params or {}))
        rows = [r.data() async for r in result]
        # Counted when the statement ran: a transaction retried as a whole counts again.
        write_counts.record(name, (await result.consume()).counters)
        return rows
