"""Facts waiting per patient on disk (SQLite) until every file is read: memory stays flat however
big the export."""

from __future__ import annotations

import dataclasses
import pickle
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from .facts import Fact, PatientFacts
from .read import PatientRecord

PROFILES_PER_TASK = 32
"""Profiles a worker stages at a time."""
COMMIT_BATCH = 512


class FactStore:
    """Every patient's facts, on disk until their profile is written, so memory stays flat.

    A bulk export lists resources by type (all Patients, then all Conditions ...), so a person's
    profile can only be written once every file is read. The facts wait in a SQLite file in the
    import's temporary folder beside profiles/ (deleted when the import ends), not in memory.
    """

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.execute("PRAGMA journal_mode = OFF")
        self.connection.execute("PRAGMA synchronous = OFF")
        self.connection.execute("CREATE TABLE facts (key TEXT NOT NULL, kind TEXT NOT NULL, fact BLOB NOT NULL)")
        self.waiting: list[tuple[str, str, bytes]] = []

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.close()

    def add(self, key: str, fact: Fact) -> None:
        """Keep one fact of the patient `key`."""
        self.waiting.append((key, fact.kind, pickle.dumps(fact, protocol=pickle.HIGHEST_PROTOCOL)))
        if len(self.waiting) >= 4096:
            self.flush()

    def flush(self) -> None:
        self.connection.executemany("INSERT INTO facts VALUES (?, ?, ?)", self.waiting)
        self.waiting = []

    def finish(self) -> None:
        """Every fact is in: index them by patient."""
        self.flush()
        self.connection.execute("CREATE INDEX facts_by_key ON facts (key)")

    def patients(self) -> Iterator[tuple[str, Fact]]:
        """Each Patient resource's facts, in file order."""
        for key, blob in self.connection.execute("SELECT key, fact FROM facts WHERE kind = 'patient' ORDER BY rowid"):
            yield key, pickle.loads(blob)

    def orphans(self) -> int:
        """Patients that resources name but whose Patient resource is not in the files."""
        query = (
            "SELECT COUNT(DISTINCT key) FROM facts"
            " WHERE kind != 'drug' AND key NOT IN (SELECT key FROM facts WHERE kind = 'patient')"
        )
        return int(self.connection.execute(query).fetchone()[0])

    def record(self, keys: Sequence[str]) -> PatientRecord:
        """Everything the files say about one patient (who may have a Patient resource in several files)."""
        record = PatientRecord()
        marks = ", ".join("?" * len(keys))
        query = f"SELECT fact FROM facts WHERE key IN ({marks}) ORDER BY rowid"
        for (blob,) in self.connection.execute(query, tuple(keys)).fetchall():
            fact = pickle.loads(blob)
            if fact.kind == "medication" and fact.reference:
                fact = self._with_drug(fact)
            if fact.kind == "broken":
                record.broken = True
            elif fact.kind == "patient" and isinstance(fact.details, PatientFacts):
                record.facts, record.position = fact.details, fact.position
            else:
                record.add(fact)
        return record

    def _with_drug(self, fact: Fact) -> Fact:
        """A medicine given by reference, with what the Medication it names means (nothing when it is not there)."""
        query = "SELECT fact FROM facts WHERE key = ? AND kind = 'drug' ORDER BY rowid DESC LIMIT 1"
        row = self.connection.execute(query, (fact.reference,)).fetchone()
        if row is None:
            return dataclasses.replace(fact, reference=None)
        drug = pickle.loads(row[0])
        return dataclasses.replace(fact, terms=drug.terms, unmapped=drug.unmapped, reference=None)
