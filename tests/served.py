"""The portal served as in production for the tests that need it: gunicorn processes on a
free loopback port, on the test database, with TLS from a throwaway certificate authority
when asked; and what such tests do when a runtime beside Python is missing."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

# --- A runtime the Makefile installs, missing --------------------------------------------------


def missing_runtime(reason: str) -> NoReturn:
    """A test whose runtime (nginx, PgBouncer, PHP, Node, ...) is not installed: skipped on a
    developer's machine, failed under CI, where `make test` installs every one of them."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


def nginx_executable() -> str:
    """Debian's nginx (`make clients` installs it), or missing_runtime."""
    found = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if found is None:
        missing_runtime(
            "nginx is not installed: `make clients` installs it (apt-get, as root or through sudo)"
        )
    return found


# --- The portal served as in production: gunicorn processes, with TLS when asked --------------

# As docs/deployment.md runs it (section 3), with the configuration it ships (the access log,
# redacted, on stdout); `--workers` given among a Gunicorn's options overrides the 2.
GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "--config",
    "python:config.gunicorn_conf",
    "config.wsgi",
    "--workers",
    "2",
]
PROJECT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """One portal process: `gunicorn config.wsgi` on a free loopback port; `https` when given
    `--certfile` and `--keyfile` among `options`. `log` collects its output (the access log).
    `port` when the caller must know the address before it starts (to configure it)."""

    def __init__(
        self, env: dict[str, str], *options: str, timeout: float = 60, port: int | None = None
    ) -> None:
        address = f"127.0.0.1:{port or free_port()}"
        self.url = ("https://" if "--certfile" in options else "http://") + address
        self.timeout = timeout
        self.log: list[str] = []
        self.listening = threading.Event()
        self.process = subprocess.Popen(  # noqa: S603 (gunicorn from our own venv)
            [*GUNICORN, "--bind", address, *options],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        assert self.listening.wait(timeout), "gunicorn did not start:\n" + "".join(self.log)

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.log.append(line)
            if "Listening at" in line:
                self.listening.set()

    def wait_for_log(self, text: str) -> None:
        """Wait until a line with `text` was logged (an access-log line comes after the answer)."""
        deadline = time.monotonic() + self.timeout
        while not any(text in line for line in self.log):
            assert time.monotonic() < deadline, f"{text!r} never logged:\n" + "".join(self.log)
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(self.timeout)


def test_database_url() -> str:
    """The URL of the database pytest-django made for this run, for another process."""
    from django.db import connections

    name = connections["default"].settings_dict["NAME"]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0] + "/" + name
    return f"sqlite:///{name}"


test_database_url.__test__ = False  # a helper, not a test


def served_portal_env(static_root: Path, **settings: str) -> dict[str, str]:
    """The environment of a portal process served as in production (DEBUG off, the real
    middleware, nothing trusted from X-Forwarded-*) on the test database, with the test
    process's keys (the tests write the Apps; the portal must decrypt their secrets) and
    `settings` on top."""
    from django.conf import settings as django_settings

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "OAUTH_", "TRUST_", "SECURE_", "AXES_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=django_settings.SECRET_KEY,
        APP_SECRET_KEYS=",".join(django_settings.APP_SECRET_KEYS),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=test_database_url(),
        STATIC_ROOT=str(static_root),
        TRUST_X_FORWARDED_PROTO="false",
        TRUST_X_FORWARDED_FOR="false",
        PYTHONUNBUFFERED="1",  # the access log reaches Gunicorn.log as each request ends
        **settings,
    )
    return env


@dataclass
class TLSFiles:
    ca: Path  # the certificate authority a client is told to trust
    certificate: Path  # the server's certificate, issued by it for 127.0.0.1 and localhost
    key: Path  # the server's private key


def loopback_tls(directory: Path, names: tuple[str, ...] = ()) -> TLSFiles:
    """A throwaway certificate authority and a server certificate it issued for 127.0.0.1 and
    localhost (and `names`, host names a test resolves itself), written as PEM files: what a
    client verifies the portal against in the tests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portal tests CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                    *(x509.DNSName(name) for name in names),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(
        ca=directory / "ca.pem", certificate=directory / "server.pem", key=directory / "server.key"
    )
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


# --- A web server of the tests' own: Client ID Metadata Documents, a browser client's page --------


@dataclass
class Answer:
    """What the DocumentServer answers at a path: a body, a status, headers; `delay` seconds
    before the headers, `drip` seconds between bytes of the body (a slow server)."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] | None = None
    delay: float = 0
    drip: float = 0


class DocumentServer:
    """An HTTPS server on 127.0.0.1 with a certificate of the tests' CA (`tls`), in a thread:
    `serve(path, answer)` sets what a path answers; `requests` keeps (path, Host header, Origin
    header) of each request. Stops with `stop()`."""

    def __init__(self, tls: TLSFiles) -> None:
        import ssl
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.requests.append((path, self.headers.get("Host", ""), self.headers.get("Origin", "")))
                answer = server.answers.get(path, Answer(b"not found", 404, {"Content-Type": "text/plain"}))
                time.sleep(answer.delay)
                self.send_response(answer.status)
                headers = {"Content-Length": str(len(answer.body)), **(answer.headers or {})}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if answer.drip:
                        for byte in answer.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(answer.drip)
                    else:
                        self.wfile.write(answer.body)
                except OSError:
                    pass  # the client gave up, as it should

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.certificate, tls.key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"

    def serve(self, path: str, answer: Answer) -> str:
        self.answers[path] = answer
        return self.url(path)

    def serve_json(self, path: str, document, *, host: str = "localhost", **headers: str) -> str:
        import json

        body = json.dumps(document).encode()
        self.answers[path] = Answer(body, headers={"Content-Type": "application/json", **headers})
        return self.url(path, host)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- a mail server -------------------------------------------------------------------------------


class SMTPServer:
    """A real SMTP server (aiosmtpd) on a free loopback port, keeping what it receives; it
    answers `answer` to the recipient `refuse`. `running(settings)` points Django's SMTP backend
    at it for the block (in-process); `serving()` only listens, for a served portal's EMAIL_URL."""

    def __init__(self, refuse: str = "", answer: str = "550 5.1.1 No such mailbox"):
        self.received = []
        self.refuse, self.answer = refuse, answer
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return self.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(envelope)
        return "250 Message accepted"

    @contextmanager
    def serving(self) -> Iterator[int]:
        """Listen for the block; yields the port."""
        import logging

        from aiosmtpd.controller import Controller

        # aiosmtpd's thread logs each connection at INFO, at times after pytest closed the stream
        # it captures ("Logging error"): its warnings and errors are enough here.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        controller = Controller(self, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            yield controller.port
        finally:
            controller.stop()

    @contextmanager
    def running(self, settings) -> Iterator[int]:
        """Listen for the block, with Django's SMTP backend pointed at it (in-process)."""
        with self.serving() as port:
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
            settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
            settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
            yield port
