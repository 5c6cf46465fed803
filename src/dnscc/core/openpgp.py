"""OpenPGP public keys as the contact directory records them (RFC 4880, RFC 9580).

A contact's public key is pasted or imported; the directory needs what the key claims:
its fingerprint, algorithm and size, creation and expiry, user ids, and whether it can
receive the encrypted notices we send. `parse_public_key` reads that from the packets in
pure Python, so that a bad paste is refused with a clear message at the form, before any
GnuPG or Sequoia process is involved.

Signatures are read but **never verified cryptographically**: expiry, key flags and
subkey bindings are taken from the self-signatures as claimed. The center records what
the key claims; verifying keys and signed messages is the job of GnuPG or Sequoia (a
later issue). Do not treat a `PublicKey` as proof that its owner made those claims.

Supported: ASCII armor (RFC 4880 §6, CRC24 checked when present; RFC 9580 §6.1 lets v6
armor omit it) or binary; old and new packet headers including partial body lengths on
the data packets that may use them; version 4 and version 6 keys and signatures. Not
supported (refused with InputError): version 2/3 keys (obsolete) and LibrePGP version 5
keys. Only the first primary key of a keyring is read.

Every malformed input raises `dnscc.core.errors.InputError` at field ``pgp_key``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from dnscc.core.errors import InputError, Location

FIELD = "pgp_key"

_HINT_PASTE = (
    "paste the whole ASCII-armored public key, from -----BEGIN PGP PUBLIC KEY BLOCK----- "
    "to -----END PGP PUBLIC KEY BLOCK----- (gpg --armor --export KEYID)"
)
_HINT_PRIVATE = (
    "never share a private key; export the public key only (gpg --armor --export KEYID) "
    "and consider this private key compromised"
)


def _error(message: str, hint: str | None = _HINT_PASTE) -> InputError:
    return InputError(message, location=Location(field=FIELD), hint=hint)


class KeyUsage(StrEnum):
    """What a key may be used for: key flags, RFC 9580 §5.2.3.29 (RFC 4880 §5.2.3.21)."""

    CERTIFY = "certify"
    SIGN = "sign"
    ENCRYPT = "encrypt"
    AUTHENTICATE = "authenticate"


# Public key algorithms, RFC 9580 §9.1.
ALGORITHMS: dict[int, str] = {
    1: "RSA",
    2: "RSA",  # encrypt-only, deprecated
    3: "RSA",  # sign-only, deprecated
    16: "ElGamal",
    17: "DSA",
    18: "ECDH",
    19: "ECDSA",
    20: "ElGamal",  # encrypt or sign, reserved
    22: "EdDSA",  # EdDSALegacy in RFC 9580
    25: "X25519",
    26: "X448",
    27: "Ed25519",
    28: "Ed448",
}
# Used when a self-signature carries no key flags subpacket.
_CAN_ENCRYPT = frozenset({1, 2, 16, 18, 20, 25, 26})
_CAN_SIGN = frozenset({1, 3, 17, 19, 20, 22, 27, 28})

# Curve OIDs (RFC 9580 §9.2, RFC 6637 §11) to the names and sizes GnuPG reports.
CURVES: dict[str, tuple[str, int]] = {
    "1.3.6.1.4.1.11591.15.1": ("ed25519", 255),
    "1.3.6.1.4.1.3029.1.5.1": ("cv25519", 255),
    "1.3.101.112": ("ed25519", 255),
    "1.3.101.110": ("cv25519", 255),
    "1.3.101.113": ("ed448", 448),
    "1.3.101.111": ("cv448", 448),
    "1.2.840.10045.3.1.7": ("nistp256", 256),
    "1.3.132.0.34": ("nistp384", 384),
    "1.3.132.0.35": ("nistp521", 521),
    "1.3.36.3.3.2.8.1.1.7": ("brainpoolP256r1", 256),
    "1.3.36.3.3.2.8.1.1.11": ("brainpoolP384r1", 384),
    "1.3.36.3.3.2.8.1.1.13": ("brainpoolP512r1", 512),
    "1.3.132.0.10": ("secp256k1", 256),
}
# RFC 9580 algorithms with a fixed curve: (key material octets, curve, bits).
_FIXED_CURVES: dict[int, tuple[int, str, int]] = {
    25: (32, "cv25519", 255),
    26: (56, "cv448", 448),
    27: (32, "ed25519", 255),
    28: (57, "ed448", 448),
}

_TAG_SIGNATURE = 2
_TAG_SECRET_KEY = 5
_TAG_PUBLIC_KEY = 6
_TAG_SECRET_SUBKEY = 7
_TAG_USER_ID = 13
_TAG_PUBLIC_SUBKEY = 14
_TAG_USER_ATTRIBUTE = 17
# RFC 4880 §4.2.2.4: partial body lengths are only for these data packets.
_PARTIAL_TAGS = frozenset({8, 9, 11, 18, 20})

# Signature types, RFC 9580 §5.2.1.
_SIG_CERTIFICATIONS = frozenset({0x10, 0x11, 0x12, 0x13})
_SIG_SUBKEY_BINDING = 0x18
_SIG_DIRECT_KEY = 0x1F
_SIG_KEY_REVOCATION = 0x20
_SIG_SUBKEY_REVOCATION = 0x28


# -- value types -----------------------------------------------------------------------


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("give a timezone-aware datetime (UTC)")


def _check_key_fields(
    fingerprint: str, key_id: str, version: int, created: datetime, expires: datetime | None
) -> None:
    expected = {4: 40, 6: 64}.get(version)
    if expected is None:
        raise ValueError(f"unsupported key version {version}")
    if len(fingerprint) != expected or not re.fullmatch(r"[0-9A-F]+", fingerprint):
        raise ValueError(f"a v{version} fingerprint is {expected} uppercase hex digits")
    # RFC 4880 §12.2: the v4 key id is the low 64 bits of the fingerprint;
    # RFC 9580 §5.5.4.3: the v6 key id is the high 64 bits.
    if key_id != (fingerprint[-16:] if version == 4 else fingerprint[:16]):
        raise ValueError("key id does not match fingerprint")
    if created.tzinfo is None or (expires is not None and expires.tzinfo is None):
        raise ValueError("created and expires must be timezone-aware")
    if expires is not None and expires <= created:
        raise ValueError("a key expires after it is created")


@dataclass(frozen=True, kw_only=True)
class SubKey:
    """A public subkey (tag 14) with what its latest binding signature claims.

    A subkey without a binding signature from the primary key claims nothing: its
    `usage` is empty, so it is never usable (RFC 9580 §10.1.1).
    """

    fingerprint: str
    key_id: str
    version: int
    algorithm: str
    algorithm_id: int
    bits: int | None
    curve: str | None
    created: datetime
    expires: datetime | None
    usage: frozenset[KeyUsage]
    revoked: bool = False

    def __post_init__(self) -> None:
        _check_key_fields(self.fingerprint, self.key_id, self.version, self.created, self.expires)

    def is_expired(self, at: datetime) -> bool:
        """True if the subkey's claimed expiry is at or before `at`."""
        _require_aware(at)
        return self.expires is not None and at >= self.expires

    def usable_for_encryption(self, at: datetime) -> bool:
        """True if the subkey claims encryption use and is neither expired nor revoked."""
        return KeyUsage.ENCRYPT in self.usage and not self.revoked and not self.is_expired(at)


@dataclass(frozen=True, kw_only=True)
class PublicKey:
    """A transferable public key (RFC 9580 §10.1) as it describes itself.

    `expires` comes from the latest self-signature on the primary user id or from the
    direct-key signature (v6 keys prefer the latter, RFC 9580 §5.2.3.10). `user_ids` are
    in packet order; `primary_user_id` is the one flagged primary, or else the one with
    the newest self-signature. Nothing here is cryptographically verified.
    """

    fingerprint: str
    key_id: str
    version: int
    algorithm: str
    bits: int | None
    curve: str | None
    created: datetime
    expires: datetime | None
    user_ids: tuple[str, ...]
    has_encryption_subkey: bool
    subkeys: tuple[SubKey, ...]
    algorithm_id: int
    usage: frozenset[KeyUsage]
    primary_user_id: str | None = None
    revoked: bool = False

    def __post_init__(self) -> None:
        _check_key_fields(self.fingerprint, self.key_id, self.version, self.created, self.expires)
        if self.has_encryption_subkey != any(KeyUsage.ENCRYPT in s.usage for s in self.subkeys):
            raise ValueError("has_encryption_subkey disagrees with the subkeys' usage")
        if self.primary_user_id is not None and self.primary_user_id not in self.user_ids:
            raise ValueError("the primary user id must be one of user_ids")

    def is_expired(self, at: datetime) -> bool:
        """True if the primary key's claimed expiry is at or before `at`."""
        _require_aware(at)
        return self.expires is not None and at >= self.expires

    def usable_for_encryption(self, at: datetime) -> bool:
        """True if at `at` the key is live and it or a live subkey claims encryption use."""
        if self.revoked or self.is_expired(at):
            return False
        if KeyUsage.ENCRYPT in self.usage:
            return True
        return any(s.usable_for_encryption(at) for s in self.subkeys)


# -- armor (RFC 4880 §6) ---------------------------------------------------------------


def _crc24_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
        table.append(crc & 0xFFFFFF)
    return tuple(table)


_CRC24_TABLE = _crc24_table()


def crc24(data: bytes) -> int:
    """The armor checksum of RFC 4880 §6.1."""
    crc = 0xB704CE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFF) ^ _CRC24_TABLE[((crc >> 16) ^ byte) & 0xFF]
    return crc


def armor(data: bytes, kind: str = "PUBLIC KEY BLOCK") -> str:
    """Wrap binary OpenPGP data in ASCII armor with a CRC24 checksum (RFC 4880 §6.2)."""
    if not re.fullmatch(r"[A-Z][A-Z0-9 ,/]*", kind):
        raise ValueError(f"not an armor kind: {kind!r}")
    encoded = base64.b64encode(data).decode("ascii")
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    checksum = base64.b64encode(crc24(data).to_bytes(3, "big")).decode("ascii")
    body = "\n".join([*lines, f"={checksum}"])
    return f"-----BEGIN PGP {kind}-----\n\n{body}\n-----END PGP {kind}-----\n"


_BEGIN = re.compile(r"-----BEGIN PGP (?P<kind>[A-Z0-9 ,/]+)-----")
_ARMOR_HEADER = re.compile(r"[!-9;-~]+: ")


def _dearmor(text: str) -> bytes:
    lines = [line.strip() for line in text.splitlines()]
    found = next(((i, m) for i, line in enumerate(lines) if (m := _BEGIN.fullmatch(line))), None)
    if found is None:
        raise _error("no '-----BEGIN PGP PUBLIC KEY BLOCK-----' line found")
    start, begin = found
    kind = begin["kind"]
    if kind == "PRIVATE KEY BLOCK":
        raise _error("this is a PRIVATE KEY BLOCK, not a public key", hint=_HINT_PRIVATE)
    if kind != "PUBLIC KEY BLOCK":
        raise _error(f"the armor holds a PGP {kind}, not a PUBLIC KEY BLOCK")
    try:
        end = lines.index(f"-----END PGP {kind}-----", start + 1)
    except ValueError:
        raise _error(
            "no '-----END PGP PUBLIC KEY BLOCK-----' line found; the key looks truncated"
        ) from None
    body = lines[start + 1 : end]
    # Armor headers (Comment:, Version:) then a blank line; tolerate a lost blank line,
    # since base64 never contains ": ".
    first = 0
    while first < len(body) and _ARMOR_HEADER.match(body[first]):
        first += 1
    payload = [line for line in body[first:] if line]
    checksum = None
    if payload and payload[-1].startswith("="):
        checksum = payload.pop()
    try:
        data = base64.b64decode("".join(payload), validate=True)
    except (binascii.Error, ValueError):
        raise _error("the armored key is not valid base64") from None
    if not data:
        raise _error("the armored block is empty")
    if checksum is not None:
        try:
            expected = base64.b64decode(checksum[1:], validate=True)
        except (binascii.Error, ValueError):
            expected = b""
        if len(expected) != 3:
            raise _error("the armor checksum line is malformed")
        if int.from_bytes(expected, "big") != crc24(data):
            raise _error(
                "the armor checksum (CRC24) does not match: the key was altered or "
                "truncated on the way"
            )
    return data


def _to_binary(data: str | bytes) -> bytes:
    if isinstance(data, str):
        if not data.strip():
            raise _error("the key is empty")
        return _dearmor(data)
    if not data.strip():
        raise _error("the key is empty")
    head = data.lstrip()
    if head.startswith(b"-----") or (not data[0] & 0x80 and b"-----BEGIN PGP " in data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise _error("the armored key is not UTF-8 text") from None
        return _dearmor(text)
    return data


# -- packets (RFC 4880 §4.2, RFC 9580 §4.2) --------------------------------------------


@dataclass(frozen=True)
class _Packet:
    tag: int
    offset: int
    body: bytes


def _packets(data: bytes) -> Iterator[_Packet]:
    pos, size = 0, len(data)
    while pos < size:
        start = pos
        ctb = data[pos]
        pos += 1
        if not ctb & 0x80:
            raise _error(f"byte {start} is not the start of an OpenPGP packet; is this a key?")
        if ctb & 0x40:
            tag = ctb & 0x3F
            chunks = []
            while True:
                if pos >= size:
                    raise _error(f"the packet header at byte {start} is truncated")
                first = data[pos]
                partial = False
                if first < 192:
                    length, pos = first, pos + 1
                elif first < 224:
                    if pos + 2 > size:
                        raise _error(f"the packet header at byte {start} is truncated")
                    length, pos = ((first - 192) << 8) + data[pos + 1] + 192, pos + 2
                elif first == 255:
                    if pos + 5 > size:
                        raise _error(f"the packet header at byte {start} is truncated")
                    length, pos = int.from_bytes(data[pos + 1 : pos + 5], "big"), pos + 5
                else:
                    if tag not in _PARTIAL_TAGS:
                        raise _error(
                            f"the packet at byte {start} (tag {tag}) uses partial body "
                            "lengths, which only data packets may use (RFC 4880 §4.2.2.4)"
                        )
                    length, pos, partial = 1 << (first & 0x1F), pos + 1, True
                if pos + length > size:
                    raise _truncated(start, length, size - pos)
                chunks.append(data[pos : pos + length])
                pos += length
                if not partial:
                    break
            body = b"".join(chunks)
        else:
            tag = (ctb >> 2) & 0x0F
            length_type = ctb & 0x03
            if length_type == 3:
                # Indeterminate length: the packet runs to the end of the data.
                length = size - pos
            else:
                octets = (1, 2, 4)[length_type]
                if pos + octets > size:
                    raise _error(f"the packet header at byte {start} is truncated")
                length = int.from_bytes(data[pos : pos + octets], "big")
                pos += octets
            if pos + length > size:
                raise _truncated(start, length, size - pos)
            body = data[pos : pos + length]
            pos += length
        if tag == 0:
            raise _error(f"the packet at byte {start} has the reserved tag 0")
        yield _Packet(tag, start, body)


def _truncated(start: int, length: int, remaining: int) -> InputError:
    return _error(
        f"the packet at byte {start} is truncated: its header announces {length} octets "
        f"but only {remaining} remain"
    )


class _Reader:
    """Bounds-checked reading of one packet body; overruns raise InputError."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise _error(f"the {self.what} is truncated or malformed")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def uint(self, octets: int) -> int:
        return int.from_bytes(self.take(octets), "big")

    def rest(self) -> bytes:
        return self.take(len(self.data) - self.pos)

    def mpi(self) -> int:
        """A multiprecision integer, RFC 4880 §3.2; returns its actual bit length."""
        bits = self.uint(2)
        return int.from_bytes(self.take((bits + 7) // 8), "big").bit_length()

    def oid(self) -> str:
        length = self.uint(1)
        if length in (0, 0xFF):
            raise _error(f"the curve OID in the {self.what} has a reserved length")
        return _decode_oid(self.take(length), self.what)


def _decode_oid(raw: bytes, what: str) -> str:
    arcs: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if raw[-1] & 0x80:
        raise _error(f"the curve OID in the {what} is malformed")
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + arcs[1:])


# -- keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    version: int
    created: datetime
    algorithm_id: int
    bits: int | None
    curve: str | None
    fingerprint: str
    key_id: str


def _parse_key(packet: _Packet) -> _Key:
    what = f"public key packet at byte {packet.offset}"
    reader = _Reader(packet.body, what)
    version = reader.uint(1)
    if version not in (4, 6):
        detail = {
            2: "version 2 and 3 keys are obsolete (RFC 9580 §5.5.2.1)",
            3: "version 2 and 3 keys are obsolete (RFC 9580 §5.5.2.1)",
            5: "version 5 is LibrePGP, not the IETF standard",
        }.get(version, "only versions 4 and 6 are defined (RFC 9580 §5.5.2)")
        raise _error(
            f"public key version {version} is not supported: {detail}",
            hint="export the key again with a current GnuPG or Sequoia; "
            "if it is a version 3 key, the contact needs a new key",
        )
    created = reader.uint(4)
    algorithm_id = reader.uint(1)
    material = reader.take(reader.uint(4)) if version == 6 else reader.rest()
    bits, curve = _key_size(algorithm_id, _Reader(material, what))
    if version == 4:
        if len(packet.body) > 0xFFFF:
            raise _error(f"the {what} is too long to fingerprint (over 65535 octets)")
        # RFC 4880 §12.2. SHA-1 is what the standard fixes for v4 fingerprints; declared
        # so that FIPS-mode builds still compute it.
        prefix = b"\x99" + len(packet.body).to_bytes(2, "big")
        digest = hashlib.sha1(prefix + packet.body, usedforsecurity=False).hexdigest().upper()
        key_id = digest[-16:]
    else:
        # RFC 9580 §5.5.4.3.
        prefix = b"\x9b" + len(packet.body).to_bytes(4, "big")
        digest = hashlib.sha256(prefix + packet.body).hexdigest().upper()
        key_id = digest[:16]
    return _Key(
        version=version,
        created=datetime.fromtimestamp(created, UTC),
        algorithm_id=algorithm_id,
        bits=bits,
        curve=curve,
        fingerprint=digest,
        key_id=key_id,
    )


def _key_size(algorithm_id: int, reader: _Reader) -> tuple[int | None, str | None]:
    """Key size in bits and curve name from the algorithm-specific fields (RFC 9580 §5.5.5)."""
    if algorithm_id in (1, 2, 3):  # n, e
        bits = reader.mpi()
        reader.mpi()
        return bits, None
    if algorithm_id in (16, 20):  # p, g, y
        bits = reader.mpi()
        reader.mpi()
        reader.mpi()
        return bits, None
    if algorithm_id == 17:  # p, q, g, y
        bits = reader.mpi()
        for _ in range(3):
            reader.mpi()
        return bits, None
    if algorithm_id in (18, 19, 22):  # curve OID, point (ECDH adds KDF parameters)
        oid = reader.oid()
        reader.mpi()
        if algorithm_id == 18:
            reader.take(reader.uint(1))
        name, bits = CURVES.get(oid, (oid, 0))
        return bits or None, name
    if algorithm_id in _FIXED_CURVES:
        octets, name, bits = _FIXED_CURVES[algorithm_id]
        reader.take(octets)
        return bits, name
    return None, None


# -- signatures (RFC 4880 §5.2.3, RFC 9580 §5.2.3) -------------------------------------


@dataclass(frozen=True)
class _Signature:
    sig_type: int
    order: int
    created: int
    key_expiry: int | None
    flags: int | None
    primary_user_id: bool
    issuer_key_ids: frozenset[str]
    issuer_fingerprints: frozenset[str]

    def issued_by(self, key: _Key) -> bool:
        # Without issuer subpackets we cannot tell; binding and direct signatures can
        # only be made by the primary key, and certifications by others carry an issuer.
        if not self.issuer_key_ids and not self.issuer_fingerprints:
            return True
        return key.key_id in self.issuer_key_ids or key.fingerprint in self.issuer_fingerprints

    @property
    def newness(self) -> tuple[int, int]:
        return self.created, self.order


def _parse_signature(packet: _Packet, order: int) -> _Signature | None:
    """The claims of a v4 or v6 signature; None for other versions, which we skip."""
    what = f"signature packet at byte {packet.offset}"
    reader = _Reader(packet.body, what)
    version = reader.uint(1)
    if version not in (4, 6):
        return None
    sig_type = reader.uint(1)
    reader.take(2)  # public key and hash algorithms
    area_octets = 2 if version == 4 else 4
    hashed = reader.take(reader.uint(area_octets))
    unhashed = reader.take(reader.uint(area_octets))
    created = 0
    key_expiry = None
    flags = None
    primary = False
    key_ids: set[str] = set()
    fingerprints: set[str] = set()
    for in_hashed, area in ((True, hashed), (False, unhashed)):
        for subtype, data in _subpackets(area, what):
            if subtype == 16 and len(data) == 8:  # issuer key id
                key_ids.add(data.hex().upper())
            elif subtype == 33 and len(data) in (21, 33):  # issuer fingerprint
                fingerprints.add(data[1:].hex().upper())
            elif not in_hashed:
                # Only the hashed area is covered by the signature; ignore claims elsewhere.
                continue
            elif subtype == 2 and len(data) == 4:  # signature creation time
                created = int.from_bytes(data, "big")
            elif subtype == 9 and len(data) == 4:  # key expiration time
                key_expiry = int.from_bytes(data, "big")
            elif subtype == 27 and data:  # key flags
                flags = data[0]
            elif subtype == 25 and len(data) == 1:  # primary user id
                primary = data[0] != 0
    return _Signature(
        sig_type=sig_type,
        order=order,
        created=created,
        key_expiry=key_expiry,
        flags=flags,
        primary_user_id=primary,
        issuer_key_ids=frozenset(key_ids),
        issuer_fingerprints=frozenset(fingerprints),
    )


def _subpackets(area: bytes, what: str) -> Iterator[tuple[int, bytes]]:
    """Signature subpackets, RFC 9580 §5.2.3.7; yields (type without critical bit, data)."""
    reader = _Reader(area, what)
    while reader.pos < len(area):
        first = reader.uint(1)
        if first < 192:
            length = first
        elif first < 255:
            length = ((first - 192) << 8) + reader.uint(1) + 192
        else:
            length = reader.uint(4)
        if length == 0:
            raise _error(f"the {what} has an empty signature subpacket")
        body = reader.take(length)
        yield body[0] & 0x7F, body[1:]


def _usage(flags: int | None, algorithm_id: int, *, primary: bool) -> frozenset[KeyUsage]:
    if flags is None:
        # No key flags: fall back to what the algorithm can do (RFC 4880 keys before
        # key flags existed); a primary key can always certify.
        result = set()
        if algorithm_id in _CAN_ENCRYPT:
            result.add(KeyUsage.ENCRYPT)
        if algorithm_id in _CAN_SIGN:
            result.add(KeyUsage.SIGN)
        if primary:
            result.add(KeyUsage.CERTIFY)
        return frozenset(result)
    mapping = {
        0x01: KeyUsage.CERTIFY,
        0x02: KeyUsage.SIGN,
        0x04: KeyUsage.ENCRYPT,  # communications
        0x08: KeyUsage.ENCRYPT,  # storage
        0x20: KeyUsage.AUTHENTICATE,
    }
    return frozenset(usage for bit, usage in mapping.items() if flags & bit)


def _expiry(created: datetime, seconds: int | None) -> datetime | None:
    # Zero means the key does not expire (RFC 9580 §5.2.3.13).
    if not seconds:
        return None
    return datetime.fromtimestamp(int(created.timestamp()) + seconds, UTC)


def _latest(signatures: list[_Signature]) -> _Signature | None:
    return max(signatures, key=lambda s: s.newness, default=None)


# -- the transferable public key (RFC 9580 §10.1) --------------------------------------


def parse_public_key(data: str | bytes) -> PublicKey:
    """Parse the first primary key of an armored or binary OpenPGP public key or keyring.

    Raises InputError (field ``pgp_key``) for an empty input, bad armor or checksum, a
    truncated or malformed packet, a private key, a missing public key packet or an
    unsupported key version. Signatures are not verified; see the module docstring.
    """
    packets = _packets(_to_binary(data))
    primary_packet = None
    for packet in packets:
        if packet.tag in (_TAG_SECRET_KEY, _TAG_SECRET_SUBKEY):
            raise _error("this is a private key, not a public key", hint=_HINT_PRIVATE)
        if packet.tag == _TAG_PUBLIC_KEY:
            primary_packet = packet
            break
    if primary_packet is None:
        raise _error("no public key packet found (OpenPGP packet tag 6)")
    primary = _parse_key(primary_packet)

    direct: list[_Signature] = []
    user_ids: list[str] = []
    uid_sigs: list[list[_Signature]] = []
    subkeys: list[_Key] = []
    subkey_sigs: list[list[_Signature]] = []
    # What the next signature belongs to: the primary key, a user id, an attribute, a subkey.
    owner: tuple[str, int] = ("key", 0)
    for order, packet in enumerate(packets):
        if packet.tag in (_TAG_PUBLIC_KEY, _TAG_SECRET_KEY):
            break  # the next key of a keyring
        if packet.tag == _TAG_USER_ID:
            user_ids.append(packet.body.decode("utf-8", errors="replace"))
            uid_sigs.append([])
            owner = ("uid", len(user_ids) - 1)
        elif packet.tag == _TAG_USER_ATTRIBUTE:
            owner = ("attribute", 0)
        elif packet.tag == _TAG_PUBLIC_SUBKEY:
            subkeys.append(_parse_key(packet))
            subkey_sigs.append([])
            owner = ("subkey", len(subkeys) - 1)
        elif packet.tag == _TAG_SIGNATURE:
            signature = _parse_signature(packet, order)
            if signature is None or not signature.issued_by(primary):
                continue
            kind, index = owner
            if kind == "key":
                direct.append(signature)
            elif kind == "uid" and signature.sig_type in _SIG_CERTIFICATIONS:
                uid_sigs[index].append(signature)
            elif kind == "subkey":
                subkey_sigs[index].append(signature)

    # The primary user id: flagged primary, else the newest self-certification.
    latest_uid_sigs = [(i, s) for i, sigs in enumerate(uid_sigs) if (s := _latest(sigs))]
    flagged = [(i, s) for i, s in latest_uid_sigs if s.primary_user_id]
    chosen = max(flagged or latest_uid_sigs, key=lambda item: item[1].newness, default=None)
    primary_uid_sig = chosen[1] if chosen else None
    direct_sig = _latest([s for s in direct if s.sig_type == _SIG_DIRECT_KEY])
    # v6 keys keep their properties on the direct-key signature (RFC 9580 §5.2.3.10);
    # v4 keys on the primary user id's self-signature (RFC 4880 §5.2.3.3).
    ranked = (
        [direct_sig, primary_uid_sig] if primary.version == 6 else [primary_uid_sig, direct_sig]
    )
    claims = [s for s in ranked if s is not None]
    key_expiry = next((s.key_expiry for s in claims if s.key_expiry is not None), None)
    flags = next((s.flags for s in claims if s.flags is not None), None)

    parsed_subkeys = tuple(
        _subkey(key, sigs) for key, sigs in zip(subkeys, subkey_sigs, strict=True)
    )
    return PublicKey(
        fingerprint=primary.fingerprint,
        key_id=primary.key_id,
        version=primary.version,
        algorithm=_algorithm_name(primary.algorithm_id),
        algorithm_id=primary.algorithm_id,
        bits=primary.bits,
        curve=primary.curve,
        created=primary.created,
        expires=_expiry(primary.created, key_expiry),
        user_ids=tuple(user_ids),
        primary_user_id=user_ids[chosen[0]] if chosen else None,
        usage=_usage(flags, primary.algorithm_id, primary=True),
        revoked=any(s.sig_type == _SIG_KEY_REVOCATION for s in direct),
        has_encryption_subkey=any(KeyUsage.ENCRYPT in s.usage for s in parsed_subkeys),
        subkeys=parsed_subkeys,
    )


def _subkey(key: _Key, signatures: list[_Signature]) -> SubKey:
    binding = _latest([s for s in signatures if s.sig_type == _SIG_SUBKEY_BINDING])
    if binding is None:
        usage: frozenset[KeyUsage] = frozenset()
    else:
        usage = _usage(binding.flags, key.algorithm_id, primary=False)
    return SubKey(
        fingerprint=key.fingerprint,
        key_id=key.key_id,
        version=key.version,
        algorithm=_algorithm_name(key.algorithm_id),
        algorithm_id=key.algorithm_id,
        bits=key.bits,
        curve=key.curve,
        created=key.created,
        expires=_expiry(key.created, binding.key_expiry if binding else None),
        usage=usage,
        revoked=any(s.sig_type == _SIG_SUBKEY_REVOCATION for s in signatures),
    )


def _algorithm_name(algorithm_id: int) -> str:
    return ALGORITHMS.get(algorithm_id, f"unknown({algorithm_id})")
