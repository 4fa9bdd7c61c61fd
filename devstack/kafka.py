"""A real single-node Apache Kafka (KRaft, combined broker+controller) on loopback."""

from __future__ import annotations

import base64
import logging
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from devstack.artifacts import LOG4J2_CONFIG, kafka_libs
from devstack.ports import LOOPBACK, free_ports, port_open
from devstack.service import QUICK_START_JVM_FLAGS, JavaService, ServiceStartError

logger = logging.getLogger(__name__)
_probe_logger = logging.getLogger(__name__ + ".probe")

#: Broker settings for a throwaway single-node cluster; override via ``config=``.
DEFAULT_CONFIG: Mapping[str, str] = {
    "num.partitions": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "auto.create.topics.enable": "false",
    "group.initial.rebalance.delay.ms": "0",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "log.segment.bytes": str(16 * 1024 * 1024),
    "log.retention.hours": "24",
    # After kill() the old broker registration must expire before the restarted broker
    # is accepted (default 9 s); a shorter session keeps crash drills quick.
    "broker.session.timeout.ms": "5000",
    "broker.heartbeat.interval.ms": "1000",
}


def random_cluster_id() -> str:
    """Return a random KRaft cluster id (URL-safe base64 of a UUID, no leading '-')."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


class LocalKafka(JavaService):
    """Single-node Kafka 4.x in KRaft mode, listening on 127.0.0.1 only.

    ``stop()`` followed by ``start()`` restarts the same broker (same ports, same
    data); ``close()`` (or leaving the ``with`` block) deletes everything.
    """

    name: ClassVar[str] = "kafka"
    min_java: ClassVar[int] = 17

    def __init__(
        self,
        *,
        config: Mapping[str, str] | None = None,
        heap: str = "512m",
        java: Path | None = None,
        workdir_parent: Path | None = None,
        jvm_flags: Sequence[str] = QUICK_START_JVM_FLAGS,
    ) -> None:
        super().__init__(heap=heap, java=java, workdir_parent=workdir_parent, jvm_flags=jvm_flags)
        self._overrides = dict(config or {})
        self._libs: Path | None = None
        self._port: int | None = None
        self._controller_port: int | None = None

    @property
    def port(self) -> int:
        """The PLAINTEXT client port."""
        if self._port is None:
            raise RuntimeError("kafka has not been started")
        return self._port

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:PORT`` for Kafka clients."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def config_path(self) -> Path:
        """The generated ``server.properties``."""
        return self.workdir / "server.properties"

    def close(self) -> None:
        """Stop the broker and delete its data."""
        super().close()
        self._port = self._controller_port = None

    def _prepare(self) -> None:
        self._libs = kafka_libs()
        self._port, self._controller_port = free_ports(2)
        data_dir = self.workdir / "data"
        config = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{LOOPBACK}:{self._controller_port}",
            "listeners": (
                f"PLAINTEXT://{LOOPBACK}:{self._port},"
                f"CONTROLLER://{LOOPBACK}:{self._controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{self._port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(data_dir),
            **DEFAULT_CONFIG,
            **self._overrides,
        }
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in config.items()))
        self._format_storage()

    def _format_storage(self) -> None:
        cmd = [
            *self._java_base(),
            "-cp",
            str(self._libs_dir() / "*"),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            random_cluster_id(),
            "--config",
            str(self.config_path),
        ]
        proc = subprocess.run(  # noqa: S603 - command built from trusted parts
            cmd, cwd=self.workdir, capture_output=True, text=True, timeout=120, check=False
        )
        with open(self.log_path, "a") as log:
            log.write(f"=== devstack: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        if proc.returncode != 0:
            raise ServiceStartError(
                f"kafka storage format failed ({proc.returncode}):\n"
                f"{(proc.stdout + proc.stderr).strip()}"
            )

    def _libs_dir(self) -> Path:
        if self._libs is None:
            self._libs = kafka_libs()
        return self._libs

    def _command(self) -> list[str]:
        return [
            *self._java_base(),
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
            "-cp",
            str(self._libs_dir() / "*"),
            "kafka.Kafka",
            str(self.config_path),
        ]

    def _is_ready(self) -> bool:
        if not port_open(self.port):
            return False
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "logger": _probe_logger})
        try:
            metadata = admin.list_topics(timeout=5)
        except KafkaException as exc:  # e.g. still fenced / not yet serving metadata
            logger.debug("kafka not ready yet: %s", exc)
            return False
        return 1 in metadata.brokers
