"""What an import did, counted by table, and what it could not carry over."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

Row = TypeVar("Row")


class Progress(Protocol):
    def __call__(self, done: int) -> None: ...


@dataclass
class Report:
    """Counts (``counts["clients", "imported"]``) and notes, in the order they were met."""

    progress: Callable[[str, int], Progress] | None = None
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def count(self, table: str, outcome: str, n: int = 1) -> None:
        self.counts[table, outcome] += n

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def rows(self, label: str, queryset, *, chunk_size: int = 500) -> Iterator[list]:
        """Yield the rows of ``queryset`` a chunk at a time, telling the progress bar."""
        total = queryset.count()
        tell = self.progress(label, total) if self.progress else None
        done = 0
        for chunk in _chunks(queryset.iterator(chunk_size=chunk_size), chunk_size):
            yield chunk
            done += len(chunk)
            if tell:
                tell(done)

    def lines(self, tables: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
        """Return one summary line per table: ``table: n outcome, ...``."""
        found = []
        for table, outcomes in tables:
            parts = [f"{self.counts[table, outcome]} {outcome}" for outcome in outcomes]
            found.append(f"{table}: " + ", ".join(parts))
        return found


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
