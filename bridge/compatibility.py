"""Asks the registry whether each schema may become its subject's next version.

The verdict is the registry's (``POST /compatibility/subjects/{subject}/versions/latest``, which
Apicurio's ccompat API answers too). The client returns only the verdict, and Apicurio gives no
messages even when asked (``verbose=true``), so the reason shown comes from Avro's own
reader/writer check of the new schema against the latest one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from avro.compatibility import ReaderWriterCompatibilityChecker
from avro.schema import parse
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

SUBJECT_NOT_FOUND = 40401


class Compatibility(StrEnum):
    COMPATIBLE = "compatible"
    INCOMPATIBLE = "incompatible"
    NEW = "new"  # no version yet: anything may be registered


@dataclass(frozen=True)
class Verdict:
    """The registry's answer for one subject."""

    subject: str
    compatibility: Compatibility
    latest_version: int | None = None
    reason: str = ""


def check_schemas(registry: SchemaRegistryClient, schemas: Mapping[str, Schema]) -> list[Verdict]:
    """A verdict per ``{subject: schema}``, against each subject's latest version."""
    verdicts = []
    for subject, schema in schemas.items():
        # Asked first because Apicurio calls any schema compatible with a missing subject.
        try:
            latest = registry.get_latest_version(subject)
        except SchemaRegistryError as exc:
            if exc.error_code != SUBJECT_NOT_FOUND:
                raise
            verdicts.append(Verdict(subject, Compatibility.NEW))
            continue
        if registry.test_compatibility(subject, schema):
            verdicts.append(Verdict(subject, Compatibility.COMPATIBLE, latest.version))
        else:
            reason = backward_reason(schema.schema_str, latest.schema.schema_str)
            verdicts.append(Verdict(subject, Compatibility.INCOMPATIBLE, latest.version, reason))
    return verdicts


def backward_reason(new: str, old: str) -> str:
    """Why a reader with schema ``new`` cannot read records written with ``old`` (BACKWARD,
    the rule that registration sets); empty when it can."""
    result = ReaderWriterCompatibilityChecker().get_compatibility(parse(new), parse(old))
    if not result.incompatibilities:
        return ""
    kinds = ", ".join(sorted(kind.value for kind in result.incompatibilities))
    where = ", ".join(sorted(result.locations - {"/"})) or "/"  # "/" comes with any mismatch
    return f"{kinds} at {where}: {'; '.join(sorted(result.messages))}"
