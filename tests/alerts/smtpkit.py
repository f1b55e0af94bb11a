"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the digest tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """aiosmtpd cannot bind port 0 and report it back, so pick a free port first."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, (_, rcpts) in zip(self.messages, self.envelopes, strict=True) if address in rcpts]


@dataclass
class HostileInbox(Inbox):
    """An inbox whose server answers as told: a refusal to RCPT or DATA, a QUIT answered 421 (a relay
    shutting down), or a DATA answer that waits for `during_data` (run in a worker thread, so the server
    keeps serving other clients meanwhile; it runs for the first message only)."""

    rcpt_answer: str | None = None
    data_answer: str | None = None
    quit_answer: str = "221 Bye"
    during_data: Callable[[], None] | None = None
    connections: int = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        hook, self.during_data = self.during_data, None
        if hook is not None:
            await asyncio.get_running_loop().run_in_executor(None, hook)
        if self.data_answer:
            return self.data_answer
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return self.quit_answer


class SmtpServer:
    def __init__(self, port: int | None = None, inbox: Inbox | None = None, **smtp_kwargs: Any) -> None:
        self.port = port or free_port()
        self.inbox = inbox or Inbox()
        self.smtp_kwargs = smtp_kwargs
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=10,
                                     **self.smtp_kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def tls_server(tmp: Path) -> tuple[SmtpServer, Path]:
    """A server that offers STARTTLS and requires login (user nianbao / secret)."""
    cert, key = self_signed(tmp)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox_holder: list[Inbox] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"nianbao", b"secret")
        if ok:
            inbox_holder[0].logins.append(data.login.decode())
        return AuthResult(success=ok)

    server = SmtpServer(tls_context=context, require_starttls=True, authenticator=authenticator,
                        auth_require_tls=True)
    inbox_holder.append(server.inbox)
    return server, cert
