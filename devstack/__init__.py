"""Local real Kafka and Apicurio Registry processes for tests and local runs."""

from devstack.artifacts import ArtifactError, cache_dir, kafka_libs, registry_home
from devstack.java import JavaNotFoundError, find_java
from devstack.kafka import LocalKafka
from devstack.ports import free_port, free_ports
from devstack.registry import LocalRegistry
from devstack.service import ServiceStartError

__all__ = [
    "ArtifactError",
    "JavaNotFoundError",
    "LocalKafka",
    "LocalRegistry",
    "ServiceStartError",
    "cache_dir",
    "find_java",
    "free_port",
    "free_ports",
    "kafka_libs",
    "registry_home",
]
