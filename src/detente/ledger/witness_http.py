"""C2SP tlog-witness over HTTP: the witness's ``add-checkpoint`` endpoint, and the log's client.

Server: ``POST <prefix>/add-checkpoint`` with the tlog-witness body; 200 with the
cosignature line(s), or the status of the :class:`~detente.ledger.witness.WitnessRefusal`
(400, 403, 404, 409 with a ``text/x.tlog.size`` body when the old size is stale, 422).
Other paths get 404 and other methods 405. HTTP/1.1 with keep-alive; one thread per
connection; the check-then-persist step is serialised by the witness's own lock, so
concurrent requests cannot roll its view of a log back (tlog-witness §add-checkpoint).

Client: :func:`submit_checkpoint` does what a log does with a witness: it starts from the
size it believes the witness saw (0 when it does not know), and on a 409 retries once
from the size the witness names, with the consistency proof from there; it returns the
cosignature lines. :func:`witness_checkpoint` then attaches them to the ledger after
verifying them against the witness's key.

Standard library only (``http.server``, ``urllib``). Nothing here opens a connection
unless given a URL.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from detente.errors import VerificationError
from detente.ledger.log import Ledger
from detente.ledger.note import checkpoint_of
from detente.ledger.witness import Witness, WitnessRefusal, format_add_checkpoint

__all__ = ["WitnessServer", "submit_checkpoint", "witness_checkpoint"]

MAX_BODY = 1 << 20
"""Largest request body accepted (a checkpoint and 63 proof lines need about 4 KiB)."""

SIZE_TYPE = "text/x.tlog.size"


class WitnessServer(ThreadingHTTPServer):
    """An HTTP server for one :class:`Witness`.

    Args:
        witness: The cosigner and its state.
        address: ``(host, port)``; port 0 picks a free port (see :attr:`url`).
        prefix: The submission prefix, e.g. ``/witness/v1`` (default: none).
        log: Called with one line per request answered (method, path, status, and the
            reason of a refusal); None for silence.
    """

    daemon_threads = True

    def __init__(
        self,
        witness: Witness,
        address: tuple[str, int],
        prefix: str = "",
        log: Callable[[str], None] | None = None,
        timeout: float = 10.0,
        max_connections: int = 64,
    ) -> None:
        self.witness = witness
        self.prefix = prefix.rstrip("/")
        self.log = log
        self.timeout_s = timeout
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Refuse a connection beyond :attr:`max_connections` instead of starting a thread.

        Stalled clients then cost a bounded number of threads; each one's reads and idle
        keep-alive waits end after :attr:`timeout_s` seconds (the handler's socket timeout).
        """
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    b"Connection: close\r\n\r\n"
                )
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve one connection, then free its slot."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self) -> str:
        """The submission prefix as a URL (``http://host:port/prefix``)."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    def serve_in_thread(self) -> threading.Thread:
        """Serve from a daemon thread (tests, embedding); stop with :meth:`shutdown`."""
        t = threading.Thread(target=self.serve_forever, name="witness-http", daemon=True)
        t.start()
        return t


class _Handler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"
    server_version = "detente-witness"
    # Small replies on a keep-alive connection: without TCP_NODELAY each waits for the
    # client's delayed ACK (Nagle), about 40 ms per request.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        # The socket timeout ends stalled reads and idle keep-alive waits.
        self.request.settimeout(self.server.timeout_s)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass  # one line per answer goes to the server's ``log`` instead (see _reply)

    def _reply(
        self, status: int, body: str, content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.server.log is not None:
            detail = "" if status == 200 else " " + body.strip().splitlines()[0][:200]
            self.server.log(f"{self.client_address[0]} {self.command} {self.path} {status}{detail}")

    def _path_ok(self) -> bool:
        return self.path.split("?", 1)[0] == self.server.prefix + "/add-checkpoint"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._reply(405 if self._path_ok() else 404, "add-checkpoint takes POST\n")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if not self._path_ok():
            self._reply(404, "not found\n")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._reply(411, "Content-Length required\n")
            return
        if length < 0:
            self.close_connection = True
            self._reply(400, "negative Content-Length\n")
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._reply(413, f"request body over {MAX_BODY} bytes\n")
            return
        raw = self.rfile.read(length)
        try:
            body = raw.decode("utf-8")
            line = self.server.witness.add_checkpoint(body)
        except UnicodeDecodeError:
            self._reply(400, "request body is not UTF-8\n")
        except WitnessRefusal as exc:
            if exc.status == 409 and exc.size is not None:
                self._reply(409, f"{exc.size}\n", SIZE_TYPE)
            else:
                self._reply(exc.status, f"{exc.message}\n")
        except VerificationError as exc:  # pragma: no cover - every refusal is typed
            self._reply(400, f"{exc.message}\n")
        else:
            self._reply(200, line + "\n")


def _post(url: str, body: str, timeout: float) -> tuple[int, str, str]:
    req = urllib.request.Request(
        url.rstrip("/") + "/add-checkpoint",
        data=body.encode("utf-8"),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as err:
        raise VerificationError(f"witness at {url}: cannot connect: {err}") from err


def submit_checkpoint(
    ledger: Ledger, url: str, checkpoint_note: str, old_size: int = 0, timeout: float = 30.0
) -> list[str]:
    """Ask the witness at ``url`` to cosign ``checkpoint_note``; return its signature lines.

    Follows the client side of C2SP tlog-witness: submit from ``old_size`` with the
    consistency proof from there; on ``409`` with a ``text/x.tlog.size`` body, retry once
    from the size the witness names (which must lie between ``old_size`` and the
    checkpoint's size).

    Raises:
        VerificationError: if the witness refuses, answers out of protocol, or cannot be
            reached; the message names the witness and its status.
    """
    if not url.startswith(("http://", "https://")):
        raise VerificationError(f"witness URL {url!r} must start with http:// or https://")
    size = checkpoint_of(checkpoint_note).size
    for attempt in range(2):
        proof = ledger.consistency_proof(old_size, size) if 0 < old_size < size else []
        status, ctype, text = _post(
            url, format_add_checkpoint(old_size, proof, checkpoint_note), timeout
        )
        if status == 200:
            lines = [ln for ln in text.split("\n") if ln]
            if not lines or not all(ln.startswith("\u2014 ") for ln in lines):
                raise VerificationError(f"witness at {url}: 200 without signature lines")
            return lines
        if status == 409 and ctype.split(";")[0].strip() == SIZE_TYPE and attempt == 0:
            try:
                seen = int(text.strip())
            except ValueError:
                raise VerificationError(f"witness at {url}: malformed size {text!r}") from None
            if not 0 <= seen <= size:
                raise VerificationError(
                    f"witness at {url} has seen size {seen}, beyond this checkpoint ({size}): "
                    "it follows another view of this log"
                )
            old_size = seen
            continue
        raise VerificationError(
            f"witness at {url} refused the checkpoint ({status}): {text.strip()}"
        )
    raise VerificationError(f"witness at {url}: still in conflict after a retry")


def witness_checkpoint(
    ledger: Ledger, urls: Sequence[str], witness_keys: Sequence[str], timeout: float = 30.0
) -> dict[str, Any]:
    """Collect cosignatures on the ledger's latest checkpoint from witnesses over HTTP.

    Each witness is asked in turn; its lines are verified against ``witness_keys`` and
    stored with the checkpoint (:meth:`Ledger.add_cosignatures`). A witness that refuses
    or cannot be reached is reported, not fatal: the quorum is the verifier's business.

    Returns:
        ``{"size": ..., "cosigned_by": [url, ...], "failed": {url: reason}, "stored": n}``.

    Raises:
        VerificationError: if the ledger has no checkpoint yet.
    """
    latest = ledger.latest_checkpoint()
    if latest is None:
        raise VerificationError("no checkpoint to witness: sign one with `ledger checkpoint`")
    _, size, _, note = latest
    ok: list[str] = []
    failed: dict[str, str] = {}
    stored = 0
    for url in urls:
        try:
            lines = submit_checkpoint(ledger, url, note, timeout=timeout)
            stored += ledger.add_cosignatures(
                note + "".join(ln + "\n" for ln in lines), witness_keys
            )
        except VerificationError as exc:
            failed[url] = exc.message
        else:
            ok.append(url)
    return {"size": size, "cosigned_by": ok, "failed": failed, "stored": stored}
