"""The checked-in lock matches devstack/pom.xml, and the maintainer command reads Maven right."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.lock import parse_listing, pom_property
from devstack.maven import LOCK, POM, Coordinates, LockError, file_hash, read_lock

REGENERATE = "devstack/pom.xml changed: regenerate the lock with `python -m devstack.lock`"


def test_the_checked_in_lock_was_generated_from_the_current_pom() -> None:
    lock = read_lock(LOCK)

    assert lock.pom_sha256 == file_hash(POM), REGENERATE
    versions = {(c.coordinates.group, c.coordinates.artifact): c.coordinates.version
                for items in lock.entries.values() for c in items}  # fmt: skip
    assert versions["org.apache.kafka", "kafka_2.13"] == pom_property("kafka.version")
    assert versions["org.slf4j", "slf4j-api"] == pom_property("slf4j.version")
    [app] = lock.entries["registry"]
    assert str(app.coordinates) == (
        f"io.apicurio:apicurio-registry-app:{pom_property('apicurio.version')}:all:tar.gz"
    )


def test_coordinates_name_their_file_and_url() -> None:
    plain = Coordinates.parse("org.apache.kafka:kafka_2.13:4.1.1:jar")
    classified = Coordinates.parse("io.apicurio:apicurio-registry-app:3.3.3:all:tar.gz")

    assert str(plain) == "org.apache.kafka:kafka_2.13:4.1.1:jar"
    assert plain.url("https://repo/") == (
        "https://repo/org/apache/kafka/kafka_2.13/4.1.1/kafka_2.13-4.1.1.jar"
    )
    assert classified.filename == "apicurio-registry-app-3.3.3-all.tar.gz"
    with pytest.raises(LockError):
        Coordinates.parse("org.apache.kafka:kafka_2.13:jar")


def test_a_lock_with_a_malformed_checksum_is_rejected(tmp_path: Path) -> None:
    lock = tmp_path / "artifacts.lock"
    lock.write_text(f'pom_sha256 = "{"0" * 64}"\n[kafka]\n"g:a:1:jar" = "not-a-sha"\n')

    with pytest.raises(LockError, match="g:a:1:jar needs a lowercase hex SHA-256"):
        read_lock(lock)


def test_parse_listing_reads_maven_dependency_list_output() -> None:
    listing = """
The following files have been resolved:
   org.apache.kafka:kafka_2.13:jar:4.1.1:compile:/m2/org/apache/kafka/kafka_2.13-4.1.1.jar
   org.lz4:lz4-java:jar:1.8.0:runtime:/m2/org/lz4/lz4-java-1.8.0.jar -- module org.lz4.java [auto]
   io.netty:netty-tcnative:jar:linux-x86_64:2.0.0:runtime:/m2/io/netty/tcnative.jar -- module x
"""
    assert parse_listing(listing) == {
        Coordinates("org.apache.kafka", "kafka_2.13", "4.1.1", "", "jar"): Path(
            "/m2/org/apache/kafka/kafka_2.13-4.1.1.jar"
        ),
        Coordinates("org.lz4", "lz4-java", "1.8.0", "", "jar"): Path(
            "/m2/org/lz4/lz4-java-1.8.0.jar"
        ),
        Coordinates("io.netty", "netty-tcnative", "2.0.0", "linux-x86_64", "jar"): Path(
            "/m2/io/netty/tcnative.jar"
        ),
    }
