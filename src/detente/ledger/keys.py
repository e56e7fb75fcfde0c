"""Ed25519 key pairs at rest, encrypted with a passphrase (scrypt + ChaCha20-Poly1305).

A key file ``<dir>/<name>.key`` is JSON holding the public verifier key (C2SP signed-note
form, RFC 8032 Ed25519) and the 32-byte private seed encrypted with ChaCha20-Poly1305
(RFC 8439) under a key derived by scrypt (RFC 7914; N=2**15, r=8, p=1 by default). The name
and verifier key are the AEAD's associated data, so a swapped header fails to decrypt.
Private keys are never printed or logged.

Rotation (:meth:`KeyStore.rotate`) keeps the old file as ``<name>.<keyid>.retired.key`` and
writes a new key under the same name; the log signs with both during the change.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from detente import boundedjson
from detente.errors import StorageError, VerificationError
from detente.ledger._files import fsync_dir, write_atomic
from detente.ledger.note import ALG_COSIGNATURE_V1, ALG_ED25519, NoteSigner, parse_verifier_key

__all__ = ["KeyStore", "StoredKey", "read_passphrase"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")


def read_passphrase(
    passphrase_file: str | Path | None, prompt: Callable[[], str] | None = None
) -> bytes:
    """The passphrase from a file (first line), ``DETENTE_PASSPHRASE``, or a prompt.

    Args:
        passphrase_file: A file whose first line is the passphrase.
        prompt: Asked when neither the file nor the variable gives one (the command line
            passes a hidden terminal prompt when stdin is a terminal).

    Raises:
        StorageError: if none gives a passphrase, or it is empty.
    """
    if passphrase_file is not None:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"cannot read passphrase file {passphrase_file}: {exc}") from exc
        pw = text.splitlines()[0] if text else ""
    else:
        pw = os.environ.get("DETENTE_PASSPHRASE", "")
        if not pw and prompt is not None:
            pw = prompt()
    if not pw:
        raise StorageError("no passphrase: pass --passphrase-file FILE or set DETENTE_PASSPHRASE")
    return pw.encode("utf-8")


@dataclass(frozen=True)
class StoredKey:
    """A key file's public part."""

    name: str
    vkey: str
    alg: int
    path: Path
    retired: bool


class KeyStore:
    """A folder of encrypted key files.

    Args:
        root: The folder (created 0700 when missing).
        scrypt_n: scrypt cost parameter N for new keys.
    """

    def __init__(self, root: str | Path, scrypt_n: int = 2**15) -> None:
        self.root = Path(root)
        self.scrypt_n = scrypt_n
        self.warnings: list[str] = []

    def _path(self, name: str) -> Path:
        if not _NAME.match(name) or ".." in name:
            raise StorageError(
                f"key name {name!r}: use letters, digits and . _ : / - (at most 100 characters)"
            )
        # Log origins look like URLs ("example.org/log"): keep the file flat.
        return self.root / f"{name.replace('/', '%2F')}.key"

    def new(self, name: str, passphrase: bytes, cosigner: bool = False) -> StoredKey:
        """Create a key pair; ``cosigner`` makes a tlog-cosignature/v1 (type 0x04) key.

        Raises:
            StorageError: if a key of that name exists.
        """
        path = self._path(name)
        if path.exists():
            raise StorageError(f"key {name!r} already exists at {path}; use `keys rotate`")
        return self._write(path, name, Ed25519PrivateKey.generate(), passphrase, cosigner)

    def _write(
        self,
        path: Path,
        name: str,
        sk: Ed25519PrivateKey,
        passphrase: bytes,
        cosigner: bool,
        exclusive: bool = True,
    ) -> StoredKey:
        alg = ALG_COSIGNATURE_V1 if cosigner else ALG_ED25519
        signer = NoteSigner(name, sk, alg)
        vkey = signer.vkey
        salt = os.urandom(16)
        nonce = os.urandom(12)
        kek = Scrypt(salt=salt, length=32, n=self.scrypt_n, r=8, p=1).derive(passphrase)
        seed = sk.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        aad = f"{name}\n{vkey}".encode()
        ct = ChaCha20Poly1305(kek).encrypt(nonce, seed, aad)
        doc = {
            "format": "detente.key/v1",
            "name": name,
            "vkey": vkey,
            "kdf": {
                "name": "scrypt",
                "n": self.scrypt_n,
                "r": 8,
                "p": 1,
                "salt": base64.b64encode(salt).decode(),
            },
            "cipher": "chacha20-poly1305",
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ct).decode(),
        }
        data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
        if exclusive:
            _write_new(path, data)
        else:
            write_atomic(path, data)
        return StoredKey(name, vkey, alg, path, retired=False)

    def _read(self, path: Path) -> dict[str, object]:
        try:
            raw = path.read_text(encoding="utf-8")
            doc = boundedjson.loads(raw)
        except FileNotFoundError as exc:
            raise StorageError(f"no key file {path}; create it with `detente keys new`") from exc
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot read key file {path}: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("format") != "detente.key/v1":
            raise StorageError(f"{path} is not a detente key file")
        kdf = doc.get("kdf")
        ok = (
            isinstance(doc.get("name"), str)
            and isinstance(doc.get("vkey"), str)
            and isinstance(doc.get("nonce"), str)
            and isinstance(doc.get("ciphertext"), str)
            and isinstance(kdf, dict)
            and all(isinstance(kdf.get(k), int) for k in ("n", "r", "p"))
            and isinstance(kdf.get("salt"), str)
        )
        if not ok:
            raise StorageError(f"key file {path} is damaged: a field is missing or mistyped")
        assert isinstance(kdf, dict)
        if not (2 <= kdf["n"] <= 2**20 and kdf["r"] == 8 and kdf["p"] == 1):
            raise StorageError(f"key file {path} is damaged: scrypt parameters out of range")
        try:
            _alg_of(str(doc["vkey"]))
        except VerificationError as exc:
            raise StorageError(f"key file {path} is damaged: {exc}") from exc
        return doc

    def info(self, name: str) -> StoredKey:
        """The public part of key ``name``."""
        path = self._path(name)
        doc = self._read(path)
        vkey = str(doc["vkey"])
        return StoredKey(name, vkey, _alg_of(vkey), path, retired=False)

    def vkey(self, name: str) -> str:
        """The C2SP verifier key of ``name``."""
        return self.info(name).vkey

    def signer(self, name: str, passphrase: bytes, path: Path | None = None) -> NoteSigner:
        """Decrypt key ``name`` into a signer.

        Raises:
            VerificationError: if the passphrase is wrong or the file was altered.
        """
        p = path or self._path(name)
        doc = self._read(p)
        try:
            mode = p.stat().st_mode
        except OSError:
            mode = 0
        if mode & 0o077:
            self.warnings.append(
                f"warning: key file {p} is readable by others (mode {mode & 0o777:o}); "
                f"run chmod 600 {p}"
            )
        kdf = doc["kdf"]
        assert isinstance(kdf, dict)
        try:
            kek = Scrypt(
                salt=base64.b64decode(str(kdf["salt"]), validate=True),
                length=32,
                n=int(kdf["n"]),
                r=int(kdf["r"]),
                p=int(kdf["p"]),
            ).derive(passphrase)
            seed = ChaCha20Poly1305(kek).decrypt(
                base64.b64decode(str(doc["nonce"]), validate=True),
                base64.b64decode(str(doc["ciphertext"]), validate=True),
                f"{doc['name']}\n{doc['vkey']}".encode(),
            )
        except InvalidTag as exc:
            raise VerificationError(
                f"cannot unlock key {name!r}: wrong passphrase or altered key file"
            ) from exc
        except (ValueError, TypeError, MemoryError) as exc:
            raise StorageError(f"key file {p} is damaged: {exc}") from exc
        vkey = str(doc["vkey"])
        try:
            signer = NoteSigner(
                str(doc["name"]), Ed25519PrivateKey.from_private_bytes(seed), _alg_of(vkey)
            )
        except ValueError as exc:
            raise StorageError(f"key file {p} is damaged: {exc}") from exc
        if signer.vkey != vkey:
            raise VerificationError(f"key file {p} does not match its verifier key")
        return signer

    def rotate(self, name: str, passphrase: bytes) -> tuple[str, str]:
        """Retire key ``name`` (kept as ``<name>.<keyid>.retired.key``) and make a new one.

        Crash-safe: the retired copy is written first, then the new key replaces the
        current file in one atomic rename, so a key named ``name`` exists at every moment.

        Returns:
            ``(old verifier key, new verifier key)``.
        """
        old = self.signer(name, passphrase)
        path = self._path(name)
        retired = path.with_name(path.name[: -len(".key")] + f".{old.key_id:08x}.retired.key")
        try:
            old_bytes = path.read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read key file {path}: {exc}") from exc
        if not retired.exists():
            write_atomic(retired, old_bytes)
        new = self._write(
            path,
            name,
            Ed25519PrivateKey.generate(),
            passphrase,
            old.alg == ALG_COSIGNATURE_V1,
            exclusive=False,
        )
        return old.vkey, new.vkey

    def list(self) -> list[StoredKey]:
        """Every key in the store, retired ones included."""
        out = []
        for p in sorted(self.root.glob("*.key")):
            try:
                doc = self._read(p)
            except StorageError:
                continue
            vkey = str(doc["vkey"])
            out.append(
                StoredKey(str(doc["name"]), vkey, _alg_of(vkey), p, p.name.endswith(".retired.key"))
            )
        return out


def _alg_of(vkey: str) -> int:
    """The signature type of a verifier key (parsed and checked)."""
    return parse_verifier_key(vkey).alg


def _write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet: a unique temporary file, then a hard link.

    ``link`` fails if ``path`` exists, so a key is never overwritten; the temporary name
    is unique, so a run killed half-way leaves nothing that blocks the next one.
    """
    import tempfile

    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
        fsync_dir(folder)
    except FileExistsError as exc:
        raise StorageError(f"key {path.name} already exists at {path}; use `keys rotate`") from exc
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
