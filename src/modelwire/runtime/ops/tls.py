"""TLS for the gRPC port and the HTTP gateway: a server certificate, and a
client CA that turns on mutual TLS (clients without a certificate it signed
are refused during the handshake)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc


class TlsError(ValueError):
    """A certificate or key that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class TlsSettings:
    cert_file: Path
    key_file: Path
    #: PEM bundle of the CAs whose client certificates are accepted (mTLS)
    client_ca_file: Path | None = None

    @property
    def mutual(self) -> bool:
        return self.client_ca_file is not None

    def check(self) -> None:
        """Fails now, naming the setting, rather than at the first handshake."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        for key, path in self._files():
            if not path.is_file():
                raise TlsError(f"tls.{key}: {path} is not a file")
        try:
            context.load_cert_chain(self.cert_file, self.key_file)
        except (ssl.SSLError, OSError) as exc:
            raise TlsError(
                f"tls.cert_file / tls.key_file: {self.cert_file} and "
                f"{self.key_file} are not a matching PEM certificate and key ({exc})"
            ) from None
        if self.client_ca_file is not None:
            try:
                context.load_verify_locations(cafile=self.client_ca_file)
            except (ssl.SSLError, OSError) as exc:
                raise TlsError(
                    f"tls.client_ca_file: {self.client_ca_file} holds no PEM "
                    f"certificate ({exc})"
                ) from None

    def server_credentials(self) -> grpc.ServerCredentials:
        ca = self.client_ca_file.read_bytes() if self.client_ca_file else None
        pair = (self.key_file.read_bytes(), self.cert_file.read_bytes())
        return grpc.ssl_server_credentials(
            [pair], root_certificates=ca, require_client_auth=self.mutual
        )

    def uvicorn_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "ssl_certfile": str(self.cert_file),
            "ssl_keyfile": str(self.key_file),
        }
        if self.client_ca_file is not None:
            options["ssl_ca_certs"] = str(self.client_ca_file)
            options["ssl_cert_reqs"] = ssl.CERT_REQUIRED
        return options

    def _files(self) -> list[tuple[str, Path]]:
        files = [("cert_file", self.cert_file), ("key_file", self.key_file)]
        if self.client_ca_file is not None:
            files.append(("client_ca_file", self.client_ca_file))
        return files
