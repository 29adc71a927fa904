"""Slow clients (issue 27, finding 7; docs/deployment.md, sections 3 and 4): a sync worker reads
a request whole before it answers, so a client that sends its body a byte at a time holds it
until gunicorn's --timeout kills it (the worker's watchdog, not a limit on the client). Behind
nginx, which buffers every request body before it passes the request on, no client's pace
reaches a worker. Shown with real gunicorn (one sync worker) and a real nginx on loopback."""

from __future__ import annotations

import socket
import subprocess
import time
from contextlib import ExitStack, contextmanager

import pytest
import requests

from tests.served import Gunicorn, free_port, nginx_executable, served_portal_env

TIMEOUT = 60
# What a healthy request may take here; a slow client sends a byte every SLOW_PACE seconds, so
# a worker it holds answers nobody else within this.
QUICK = 5.0
SLOW_PACE = 1.0
BODY = b"grant_type=client_credentials&client_id=x&client_secret=y"


@contextmanager
def slow_client(port: int):
    """A POST /oauth/token.php whose headers arrive at once and whose body then trickles (a
    thread-free trickle: the caller calls `send_next` once a SLOW_PACE), closed at the end."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(
        # From 127.0.0.1, a trusted proxy here, saying https: the token endpoint reads the body
        # (over plain HTTP it would refuse the request unread).
        b"POST /oauth/token.php HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[:1]
    )
    try:
        yield sock
    finally:
        sock.close()


def nginx_in_front_of(upstream: str, directory) -> tuple[subprocess.Popen, int]:
    """nginx on a free loopback port passing everything to `upstream`, as the guide's server
    block does (request buffering is nginx's default: proxy_request_buffering on)."""
    executable = nginx_executable()
    port = free_port()
    (directory / "logs").mkdir(parents=True)
    (directory / "nginx.conf").write_text(
        f"pid {directory}/nginx.pid;\nerror_log {directory}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {directory}/body;\n"
        f"  proxy_temp_path {directory}/proxy;\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n"
        "    client_header_timeout 10s;\n    client_body_timeout 10s;\n"
        f"    location / {{\n      proxy_pass {upstream};\n      proxy_set_header Host $host;\n"
        # As the guide's TLS server block passes it ($scheme is https there), so the token
        # endpoint reads the body.
        "      proxy_set_header X-Forwarded-Proto https;\n"
        "      proxy_set_header X-Forwarded-For $remote_addr;\n    }\n  }\n}\n"
    )
    command = [executable, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)


def healthz(port: int) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": "127.0.0.1"}, timeout=QUICK)


@pytest.mark.django_db(transaction=True)
def test_a_trickling_body_holds_a_sync_worker_and_nginx_keeps_it_from_the_worker(tmp_path):
    env = served_portal_env(tmp_path / "static", TRUSTED_PROXIES="127.0.0.1")
    server = Gunicorn(env, "--workers", "1", timeout=TIMEOUT)
    gunicorn_port = int(server.url.rsplit(":", 1)[1])
    with ExitStack() as stack:
        stack.callback(server.stop)
        assert healthz(gunicorn_port).status_code == 200

        # Facing gunicorn: one trickling body holds its one worker; nobody else is answered.
        with slow_client(gunicorn_port) as trickle:
            trickle.sendall(BODY[1:2])
            with pytest.raises(requests.Timeout):
                healthz(gunicorn_port)
        # Closed, the worker is free again.
        assert healthz(gunicorn_port).status_code == 200

        # Behind nginx: three trickling bodies, and the same one worker answers at once.
        process, nginx_port = nginx_in_front_of(server.url, tmp_path / "nginx")
        stack.callback(process.wait, TIMEOUT)
        stack.callback(process.terminate)
        with ExitStack() as trickles:
            socks = [trickles.enter_context(slow_client(nginx_port)) for _ in range(3)]
            for position in range(1, 4):
                time.sleep(SLOW_PACE)
                for sock in socks:
                    sock.sendall(BODY[position : position + 1])
                assert healthz(nginx_port).status_code == 200
