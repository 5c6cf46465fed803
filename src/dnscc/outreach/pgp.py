"""OpenPGP through Sequoia (pysequoia): the center's key, signing, encryption, verification.

Chosen over GnuPG by measurement (docs/decisions/0005-openpgp-engine.md): Sequoia works in
process, about 0.14 ms to sign a notice and 0.5 ms to sign and encrypt it, where one gpg
process per message costs 13-15 ms; a 1,500-recipient fan-out would spend 20 s in gpg alone.

The center's secret key comes from DNSCC_PGP_KEY_FILE, or is generated on first use under
the data directory (mode 0600) and can be exported with `dnscc outreach key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pysequoia

from dnscc.core.errors import UnavailableError

MICALG = {
    "SHA256": "pgp-sha256",
    "SHA384": "pgp-sha384",
    "SHA512": "pgp-sha512",
    "SHA224": "pgp-sha224",
}

_lock = threading.Lock()
_center: dict[str, Any] = {}
_certs: dict[str, Any] = {}


@dataclass(frozen=True)
class KeyCheck:
    """Whether a recipient key can be encrypted to; `problem` says why not."""

    cert: Any | None
    problem: str | None

    @property
    def usable(self) -> bool:
        return self.cert is not None and self.problem is None


def _key_path() -> Path:
    from django.conf import settings

    configured = getattr(settings, "OUTREACH_PGP_KEY_FILE", "")
    if configured:
        return Path(configured)
    return Path(settings.DATA_DIR) / "outreach" / "center-key.asc"


def center_key() -> Any:
    """The center's secret key (pysequoia.Tsk), loaded once per process."""
    path = _key_path()
    with _lock:
        if _center.get("path") == path:
            return _center["tsk"]
        if path.exists():
            try:
                tsk = pysequoia.Tsk.from_bytes(path.read_bytes())
            except Exception as exc:  # noqa: BLE001 - any parse error is a configuration error
                raise UnavailableError(
                    f"the center's OpenPGP key in {path} cannot be read: {exc}",
                    hint="point DNSCC_PGP_KEY_FILE at an armored secret key without passphrase",
                ) from None
        else:
            from django.conf import settings

            tsk = pysequoia.Tsk.generate(f"dnscc <{settings.DEFAULT_FROM_EMAIL}>")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(str(tsk))
        _center.update(path=path, tsk=tsk, signer=tsk.signer(), cert=tsk.extract_certificate())
        return tsk


def center_signer() -> Any:
    center_key()
    return _center["signer"]


def center_public_key() -> str:
    center_key()
    return str(_center["cert"])


def center_fingerprint() -> str:
    center_key()
    return str(_center["cert"].fingerprint).upper()


def sign_detached(data: bytes) -> tuple[str, str]:
    """An armored detached signature over `data`, and the micalg for PGP/MIME."""
    signer = center_signer()
    raw = pysequoia.sign(signer, data, mode=pysequoia.SignatureMode.DETACHED)
    micalg = _center.get("micalg")
    if micalg is None or _center.get("micalg_of") is not signer:
        # The same key signs with the same hash algorithm: read it from the first signature.
        sig = pysequoia.Sig.from_bytes(raw)
        algorithm = str(sig.hash_algorithm).rsplit(".", 1)[-1]
        micalg = MICALG.get(algorithm, "pgp-sha512")
        _center.update(micalg=micalg, micalg_of=signer)
    return raw.decode("ascii"), micalg


def sign_and_encrypt(data: bytes, cert: Any) -> str:
    """Sign with the center's key and encrypt to `cert` and to the center (RFC 3156 §6.2)."""
    signer = center_signer()
    out = pysequoia.encrypt(data, [cert, _center["cert"]], signer=signer)
    return out.decode("ascii") if isinstance(out, bytes) else str(out)


def check_recipient_key(armored: str, *, now: datetime | None = None) -> KeyCheck:
    """Parse and judge a contact's public key. Parsing is cached by content; the judgement
    (expired at `now`?) is made on every call."""
    if not armored.strip():
        return KeyCheck(None, "no key")
    digest = hashlib.sha256(armored.encode()).hexdigest()
    parsed = _certs.get(digest)
    if parsed is None:
        parsed = _certs[digest] = _parse(armored)
    cert, meta = parsed
    if cert is None or meta is None:
        return KeyCheck(None, "unusable: the key cannot be parsed")
    current = now or datetime.now(UTC)
    if cert.is_revoked or meta.revoked:
        return KeyCheck(None, "revoked")
    expires = cert.expiration
    if expires is not None and expires <= current:
        return KeyCheck(None, f"expired on {expires:%Y-%m-%d}")
    if not meta.usable_for_encryption(current):
        return KeyCheck(None, "unusable: no valid encryption subkey")
    return KeyCheck(cert, None)


def _parse(armored: str) -> tuple[Any, Any]:
    from dnscc.core.errors import InputError
    from dnscc.core.openpgp import parse_public_key

    try:
        cert = pysequoia.Cert.from_bytes(armored.encode())
        # Sequoia has read the armor; hand the pure-Python parser the same bytes without
        # armor (its CRC24 is pure Python: a third of the time of a 750-key fan-out).
        meta = parse_public_key(_dearmored(armored) or armored)
    except (InputError, Exception):  # noqa: BLE001 - a bad key is a finding, not a crash
        return None, None
    return cert, meta


def _dearmored(armored: str) -> bytes | None:
    """The bytes of a single armored public key block, or None (then the caller parses the
    armor itself)."""
    lines = [line.strip() for line in armored.strip().splitlines()]
    if len(lines) < 3 or lines[0] != "-----BEGIN PGP PUBLIC KEY BLOCK-----":
        return None
    if lines[-1] != "-----END PGP PUBLIC KEY BLOCK-----" or "-----" in "".join(lines[1:-1]):
        return None
    body = lines[1:-1]
    first = 0
    while first < len(body) and ": " in body[first]:  # armor headers
        first += 1
    payload = [line for line in body[first:] if line and not line.startswith("=")]
    try:
        return base64.b64decode("".join(payload), validate=True) or None
    except (binascii.Error, ValueError):
        return None


def verify_detached(data: bytes, signature: bytes, cert: Any) -> bool:
    """True when `signature` is a valid signature over `data` by `cert`."""
    try:
        sig = pysequoia.Sig.from_bytes(signature)
        pysequoia.verify(bytes=data, store=lambda _ids: [cert], signature=sig)
    except Exception:  # noqa: BLE001 - Sequoia raises RuntimeError for every failure
        return False
    return True


def reset_for_tests() -> None:
    with _lock:
        _center.clear()
        _certs.clear()
