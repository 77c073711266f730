"""The documented deployment, tested: docs/deploy/nginx.conf in front of a live testigo, and slow clients cut off.

nginx is Debian's (scripts/test.sh installs it); without it the nginx test is
skipped unless TESTIGO_REQUIRE_NGINX is set. The timeouts of the example are
shortened here (the same directives, seconds instead of tens of seconds) so
that the test waits for them in a few seconds.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from testigo.store.workspace import Store
from testigo.web import create_app
from tests.web.conftest import web_settings

EXAMPLE = Path(__file__).parents[2] / "docs" / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Served:
    def __init__(self, store: Store, **settings: object) -> None:
        self.port = _free_port()
        config = uvicorn.Config(
            create_app(store, web_settings(**settings)), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def served(web_store: Store) -> Iterator[Served]:
    with Served(web_store, body_idle_seconds=1.0) as live:
        yield live


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the peer closed the connection within `seconds`, and what it said before."""
    sock.settimeout(seconds)
    received = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True, received
            received += chunk
    except TimeoutError:
        return False, received


def test_testigo_cuts_off_a_request_body_that_stalls(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000\r\n\r\nusername=a"
        )
        closed, answer = _closed_within(sock, 10)
    assert closed and answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"x-content-type-options" in answer.lower()


@pytest.fixture
def nginx(tmp_path: Path, served: Served) -> Iterator[dict[str, int]]:
    if not Path(NGINX).exists():
        if os.environ.get("TESTIGO_REQUIRE_NGINX"):
            pytest.fail("nginx is missing: scripts/test.sh installs Debian's nginx")
        pytest.skip("no nginx (apt-get install nginx-light)")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    ports = {"http": _free_port(), "https": _free_port()}
    site = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{served.port};"),
        ("/etc/letsencrypt/live/testigo.example.org/fullchain.pem", str(tmp_path / "cert.pem")),
        ("/etc/letsencrypt/live/testigo.example.org/privkey.pem", str(tmp_path / "key.pem")),
        ("listen 80;", f"listen 127.0.0.1:{ports['http']};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports['https']} ssl http2;"),
        ("client_header_timeout 10s;", "client_header_timeout 2s;"),
        ("client_body_timeout   20s;", "client_body_timeout   2s;"),
    ):
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "[::]" not in line)  # no IPv6 in every sandbox
    (tmp_path / "logs").mkdir()
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log warn;\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"include {tmp_path}/site.conf; }}\n",
        encoding="utf-8",
    )
    command = [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", ports["https"]), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "nginx did not start"
                time.sleep(0.1)
        yield ports
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_example_nginx_configuration_serves_testigo_over_tls_and_cuts_slow_clients(
    nginx: dict[str, int],
) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    secure = http.client.HTTPSConnection("127.0.0.1", nginx["https"], context=context, timeout=30)
    secure.request("GET", "/")
    page = secure.getresponse()
    assert page.status == 200 and b"testigo" in page.read()
    assert (page.getheader("strict-transport-security") or "").startswith("max-age=")  # testigo saw https
    plain = http.client.HTTPConnection("127.0.0.1", nginx["http"], timeout=30)
    plain.request("GET", "/upload")
    moved = plain.getresponse()
    assert moved.status == 301 and (moved.getheader("location") or "").startswith("https://")
    with socket.create_connection(("127.0.0.1", nginx["https"])) as raw, context.wrap_socket(raw) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # headers that never end
        started = time.monotonic()
        closed, _answer = _closed_within(sock, 15)
    assert closed and time.monotonic() - started < 10
