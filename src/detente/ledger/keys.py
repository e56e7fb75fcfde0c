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
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from detente.errors import StorageError, VerificationError
from detente.ledger.note import ALG_COSIGNATURE_V1, ALG_ED25519, NoteSigner

__all__ = ["KeyStore", "StoredKey", "read_passphrase"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")


def read_passphrase(passphrase_file: str | Path | None) -> bytes:
    """The passphrase from a file (first line) or the ``DETENTE_PASSPHRASE`` variable.

    Raises:
        StorageError: if neither is given or the passphrase is empty.
    """
    if passphrase_file is not None:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise StorageError(f"cannot read passphrase file {passphrase_file}: {exc}") from exc
        pw = text.splitlines()[0] if text else ""
    else:
        pw = os.environ.get("DETENTE_PASSPHRASE", "")
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
        self, path: Path, name: str, sk: Ed25519PrivateKey, passphrase: bytes, cosigner: bool
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
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return StoredKey(name, vkey, alg, path, retired=False)

    def _read(self, path: Path) -> dict[str, object]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise StorageError(f"no key file {path}; create it with `detente keys new`") from exc
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot read key file {path}: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("format") != "detente.key/v1":
            raise StorageError(f"{path} is not a detente key file")
        return doc

    def info(self, name: str) -> StoredKey:
        """The public part of key ``name``."""
        path = self._path(name)
        doc = self._read(path)
        vkey = str(doc["vkey"])
        alg = base64.b64decode(vkey.split("+", 2)[2])[0]
        return StoredKey(name, vkey, alg, path, retired=False)

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
        kdf = doc["kdf"]
        assert isinstance(kdf, dict)
        try:
            kek = Scrypt(
                salt=base64.b64decode(kdf["salt"]),
                length=32,
                n=int(kdf["n"]),
                r=int(kdf["r"]),
                p=int(kdf["p"]),
            ).derive(passphrase)
            seed = ChaCha20Poly1305(kek).decrypt(
                base64.b64decode(str(doc["nonce"])),
                base64.b64decode(str(doc["ciphertext"])),
                f"{doc['name']}\n{doc['vkey']}".encode(),
            )
        except InvalidTag as exc:
            raise VerificationError(
                f"cannot unlock key {name!r}: wrong passphrase or altered key file"
            ) from exc
        vkey = str(doc["vkey"])
        alg = base64.b64decode(vkey.split("+", 2)[2])[0]
        signer = NoteSigner(str(doc["name"]), Ed25519PrivateKey.from_private_bytes(seed), alg)
        if signer.vkey != vkey:
            raise VerificationError(f"key file {p} does not match its verifier key")
        return signer

    def rotate(self, name: str, passphrase: bytes) -> tuple[str, str]:
        """Retire key ``name`` (kept as ``<name>.<keyid>.retired.key``) and make a new one.

        Returns:
            ``(old verifier key, new verifier key)``.
        """
        old = self.signer(name, passphrase)
        path = self._path(name)
        retired = path.with_name(path.name[: -len(".key")] + f".{old.key_id:08x}.retired.key")
        os.replace(path, retired)
        new = self._write(
            path, name, Ed25519PrivateKey.generate(), passphrase, old.alg == ALG_COSIGNATURE_V1
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
            alg = base64.b64decode(vkey.split("+", 2)[2])[0]
            out.append(StoredKey(str(doc["name"]), vkey, alg, p, p.name.endswith(".retired.key")))
        return out
