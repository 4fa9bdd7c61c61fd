"""A real Apicurio Registry 3.x (Confluent-compatible API) on loopback."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import ClassVar

from devstack.artifacts import registry_home
from devstack.ports import LOOPBACK, free_ports
from devstack.service import JavaService

logger = logging.getLogger(__name__)

# Loopback only: never route the readiness probe through an HTTP(S)_PROXY.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalRegistry(JavaService):
    """Apicurio Registry with in-memory H2 storage; ``url`` is its Confluent-compat API.

    Storage is in-memory by default, so a ``stop()``/``start()`` cycle loses all
    schemas; pass ``persistent=True`` to keep them in an H2 file in the work dir.
    """

    name: ClassVar[str] = "registry"
    min_java: ClassVar[int] = 21

    def __init__(
        self,
        *,
        persistent: bool = False,
        heap: str = "512m",
        java: Path | None = None,
        workdir_parent: Path | None = None,
    ) -> None:
        super().__init__(heap=heap, java=java, workdir_parent=workdir_parent)
        self.persistent = persistent
        self._home: Path | None = None
        self._port: int | None = None
        self._management_port: int | None = None

    @property
    def port(self) -> int:
        """The HTTP port."""
        if self._port is None:
            raise RuntimeError("registry has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        """Confluent Schema Registry compatible endpoint (for SchemaRegistryClient)."""
        return f"{self.base_url}/apis/ccompat/v7"

    def close(self) -> None:
        """Stop the registry and delete its work dir."""
        super().close()
        self._port = self._management_port = None

    def _prepare(self) -> None:
        self._home = registry_home()
        self._port, self._management_port = free_ports(2)

    def _command(self) -> list[str]:
        if self._home is None:
            self._home = registry_home()
        scratch = self.workdir / "tmp"
        props = {
            "quarkus.http.host": LOOPBACK,
            "quarkus.http.port": str(self._port),
            # The management interface is build-time enabled; pin it to loopback.
            "quarkus.management.host": LOOPBACK,
            "quarkus.management.port": str(self._management_port),
            "quarkus.http.access-log.enabled": "false",
            "apicurio.storage.kind": "sql",
            "apicurio.storage.sql.kind": "h2",
            "apicurio.rest.deletion.group.enabled": "true",
            "apicurio.rest.deletion.artifact.enabled": "true",
            "apicurio.rest.deletion.artifact-version.enabled": "true",
            "apicurio.storage.snapshot.location": str(scratch),
            "apicurio.import.work-dir": str(scratch),
        }
        if self.persistent:
            props["apicurio.datasource.url"] = f"jdbc:h2:file:{self.workdir / 'h2' / 'registry'}"
        return [
            *self._java_base(),
            *(f"-D{key}={value}" for key, value in props.items()),
            "-jar",
            str(self._home / "quarkus-run.jar"),
        ]

    def _is_ready(self) -> bool:
        try:
            with _NO_PROXY.open(f"{self.url}/subjects", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError) as exc:
            logger.debug("registry not ready yet: %s", exc)
            return False
