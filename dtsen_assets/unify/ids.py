"""What a person_id and a family_id are, the secret key they are made with, and how they stay stable.

An id says nothing about the person
-----------------------------------
`person_id` and `family_id` are published beside masked NIKs and shown in previews; if an id were
a plain (or publicly salted) hash of the NIK, trying the hidden digits of a masked NIK would
recover it in seconds. So every id is a *keyed* hash:

    natural id = prefix + first 16 hex digits (upper case) of sha256(<key> || '|' || <anchor>)

    anchor        prefix  what it is
    nik:<NIK>     P       a person whose NIK Dukcapil confirmed
    rec:<src>:<id> R      a person without a confirmed NIK: the smallest record of its cluster
    kk:<NO_KK>    F       a family: its current family card
    fam:...       G       a family without a known card (its source family)

The key is 32 random bytes (64 hex digits). It is supplied through the warehouse resource
(`DuckDBWarehouse.id_key`, env `DTSEN_ID_KEY`) when a deployment keeps it in a secret store;
otherwise it is created on first use and kept inside the warehouse database, in the internal
table `secret.id_key`, which no asset publishes and no metadata shows. A copy of the database
therefore keeps making the same ids; another warehouse (another key) makes other ids, and
nobody without the key can test a guessed NIK against an id. There is no default key in the
code. The key is handed to DuckDB as a session variable (never in SQL text, logs or errors).
A configured key that differs from the one the warehouse's ids were made with is refused:
it would silently give every person a new id.

How a person keeps its id across drops
--------------------------------------
The natural id changes when a person's anchor does: a person first known only by records
(R-id) whose NIK Dukcapil confirms later, or two earlier persons that turn out to be one.
`person_id_continuity.sql` therefore gives each person of a new build, in this order:
1. the id of its anchor as the history records it (an anchor once mapped keeps that id);
2. its natural id, when the previous release had that id;
3. else the previous id most of its records had (lineage through `dtsen.person_source`), when no
   other person claims it; the natural id is then recorded as retired into the kept id
   (`nik_dikonfirmasi`: the person gained a confirmed NIK; `anchor_berubah`: otherwise);
4. else its natural id (a new person).
A previous id no person of the new build kept, whose records now mostly belong to one person, is
recorded as retired into that person's id (`digabung`: two ids merged). `unify.person_id_history`
(retired_id, person_id, reason, first_seen_at) keeps every such mapping, flattened so that
`person_id` is always an id in use; the change log reads it so that a merged person is one
person, not one leaving and one entering. The same drop built twice gives the same ids.
Family ids are natural ids only: a new card is a new family_id (the change log follows families
by their members, so a re-issued card is not a move).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

KEY_SCHEMA = "secret"
KEY_TABLE = f"{KEY_SCHEMA}.id_key"
KEY_VARIABLE = "dtsen_id_key"
KEY_BYTES = 32
MIN_CONFIGURED_KEY_CHARS = 32


class IdKeyError(ValueError):
    """The configured id key cannot be used (too short, or not the key this warehouse's ids use)."""


def key_fingerprint(key: str) -> str:
    """A short, one-way label of a key (sha256 of a domain-separated text), to recognise it again."""
    return hashlib.sha256(("dtsen-id-key-fingerprint|" + key).encode()).hexdigest()[:16]


def ensure_id_key(connection: duckdb.DuckDBPyConnection, configured: str | None = None) -> str:
    """The key person and family ids are derived with: the configured one, else the warehouse's own.

    The first call on a warehouse without a configured key creates 32 random bytes and stores them
    in `secret.id_key`; a configured key is not stored, only its fingerprint (to refuse another
    configured key later, which would change every id).
    """
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {KEY_SCHEMA}")
    connection.execute(f"""CREATE TABLE IF NOT EXISTS {KEY_TABLE} (
        key_hex VARCHAR, fingerprint VARCHAR NOT NULL, origin VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)""")
    row = connection.execute(f"SELECT key_hex, fingerprint, origin FROM {KEY_TABLE} LIMIT 1").fetchone()
    if configured is not None:
        configured = configured.strip()
        if len(configured) < MIN_CONFIGURED_KEY_CHARS:
            raise IdKeyError(f"The configured id key (DuckDBWarehouse.id_key) is shorter than "
                             f"{MIN_CONFIGURED_KEY_CHARS} characters; use e.g. 64 random hex digits.")
        if row is None:
            connection.execute(f"INSERT INTO {KEY_TABLE} VALUES (NULL, ?, 'configured', current_timestamp)",
                               [key_fingerprint(configured)])
        elif row[1] != key_fingerprint(configured):
            raise IdKeyError(
                f"The configured id key (DuckDBWarehouse.id_key) is not the key this warehouse's person and "
                f"family ids were made with ({row[2]} key in {KEY_TABLE}); using it would give every person a "
                "new id. Configure the original key, or build into a new warehouse.")
        return configured
    if row is not None:
        if row[0] is None:
            raise IdKeyError(
                f"This warehouse's ids were made with a configured key (DuckDBWarehouse.id_key, env DTSEN_ID_KEY), "
                "and none is configured now; configure the same key.")
        return row[0]
    key = secrets.token_hex(KEY_BYTES)
    connection.execute(f"INSERT INTO {KEY_TABLE} VALUES (?, ?, 'generated', current_timestamp)",
                       [key, key_fingerprint(key)])
    return key


@contextmanager
def id_key_bound(connection: duckdb.DuckDBPyConnection, key: str) -> Iterator[None]:
    """Make the key readable by SQL as getvariable('dtsen_id_key') while the block runs."""
    connection.execute(f"SET VARIABLE {KEY_VARIABLE} = ?", [key])
    try:
        yield
    finally:
        connection.execute(f"RESET VARIABLE {KEY_VARIABLE}")


def natural_id(key: str, prefix: str, anchor: str) -> str:
    """The id SQL derives for an anchor (for tests and audits with database access): keyed sha256."""
    return prefix + hashlib.sha256(f"{key}|{anchor}".encode()).hexdigest()[:16].upper()
