"""OpenPGP public key parsing, checked against what GnuPG says about the same keys.

The expected values were copied from `gpg --with-colons --fixed-list-mode --show-keys`
(GnuPG 2.2.40) when the fixtures were generated; see fixtures/openpgp/README.md.
"""

from __future__ import annotations

import base64
import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnscc.core.errors import InputError
from dnscc.core.openpgp import (
    KeyUsage,
    PublicKey,
    SubKey,
    _packets,
    armor,
    crc24,
    parse_public_key,
)

FIXTURES = Path(__file__).parent / "fixtures" / "openpgp"
GPG_LETTERS = {
    "c": KeyUsage.CERTIFY,
    "s": KeyUsage.SIGN,
    "e": KeyUsage.ENCRYPT,
    "a": KeyUsage.AUTHENTICATE,
}


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _text(name: str) -> str:
    return (FIXTURES / name).read_text()


def _binary(name: str) -> bytes:
    """The packets of an armored fixture, de-armored here without the module under test."""
    lines = _text(name).splitlines()
    body = lines[lines.index("") + 1 : -1]
    return base64.b64decode("".join(line for line in body if not line.startswith("=")))


def _new_format(data: bytes, *, five_octet: bool = False) -> bytes:
    """The same packets re-framed with new-format headers (RFC 4880 §4.2.2)."""
    out = bytearray()
    for packet in _packets(data):
        out.append(0xC0 | packet.tag)
        length = len(packet.body)
        if five_octet:
            out += b"\xff" + length.to_bytes(4, "big")
        elif length < 192:
            out.append(length)
        else:
            value = length - 192
            out += bytes([(value >> 8) + 192, value & 0xFF])
        out += packet.body
    return bytes(out)


# One row per fixture: (file, pub line, fpr, uids, [(sub line, sub fpr)]) from gpg --with-colons.
GPG = [
    (
        "ed25519-expires-2030.asc",
        "pub:u:255:22:032E44F6FB1B4222:1795329311:1906545600::u:::scESC:::::ed25519:::0:",
        "ED9B81013E467D587DCC3566032E44F6FB1B4222",
        ["Ed Operator <ed@example.net>"],
        [
            (
                "sub:u:255:18:0B48DAC263BAC95F:1795329311:1906545600:::::e:::::cv25519::",
                "4D32739EC7651EC27848302F0B48DAC263BAC95F",
            )
        ],
    ),
    (
        "rsa3072-no-expiry.asc",
        "pub:u:3072:1:45B77285ED839DD9:1795329311:::u:::scESC::::::23::0:",
        "BD4C28F39625DE5C488513FB45B77285ED839DD9",
        ["RSA Operator <rsa@example.org>"],
        [
            (
                "sub:u:3072:1:ACB087E288A7AEEC:1795329325::::::e::::::23:",
                "3846346E45160819A79FFDB1ACB087E288A7AEEC",
            )
        ],
    ),
    (
        "ed25519-expired-2021.asc",
        "pub:e:255:22:EF2E728FD5C0B070:1577836800:1609502400::u:::sc:::::ed25519:::0:",
        "1051EB8C7305946A0F3D1CBFEF2E728FD5C0B070",
        ["Expired Operator <old@example.com>"],
        [
            (
                "sub:e:255:18:8E592D838613F917:1577836860:1609502400:::::e:::::cv25519::",
                "750668EBC8A479AB48A4C2798E592D838613F917",
            )
        ],
    ),
    (
        "ed25519-two-user-ids.asc",
        "pub:u:255:22:A9733479803B4F59:1795329312:2051265600::u:::scSC:::::ed25519:::0:",
        "09DFBBA5732DBE6C044AF667A9733479803B4F59",
        # gpg lists the primary user id first; the packets hold them the other way round.
        ["Two Names (NOC) <noc@example.net>", "Two Names <one@example.net>"],
        [],
    ),
    (
        "ed25519-revoked.asc",
        "pub:r:255:22:3B7EDEA7D29A3042:1795329489:::-:::sc:::::ed25519:::0:",
        "3BAD01FF2B5E53BA83015EA03B7EDEA7D29A3042",
        ["Revoked Operator <gone@example.org>"],
        [
            (
                "sub:r:255:18:4B7BDFCF62A177B7:1795329489::::::e:::::cv25519::",
                "D9AA680FC58257F40CF75A484B7BDFCF62A177B7",
            )
        ],
    ),
]


def _assert_matches_gpg(key: PublicKey | SubKey, line: str, fingerprint: str) -> None:
    fields = line.split(":")
    assert key.fingerprint == fingerprint
    assert key.key_id == fields[4]
    assert key.bits == int(fields[2])
    assert key.algorithm_id == int(fields[3])
    assert key.created == _at(int(fields[5]))
    assert key.expires == (_at(int(fields[6])) if fields[6] else None)
    assert key.usage == {GPG_LETTERS[c] for c in fields[11] if c.islower()}
    assert key.curve == (fields[16] or None)


@pytest.mark.parametrize(("name", "pub", "fpr", "uids", "subs"), GPG, ids=[row[0] for row in GPG])
def test_each_fixture_reads_as_gpg_shows_it(
    name: str, pub: str, fpr: str, uids: list[str], subs: list[tuple[str, str]]
) -> None:
    key = parse_public_key(_text(name))

    _assert_matches_gpg(key, pub, fpr)
    assert key.version == 4
    assert key.primary_user_id == uids[0]
    assert sorted(key.user_ids) == sorted(uids)
    assert len(key.subkeys) == len(subs)
    for subkey, (line, sub_fpr) in zip(key.subkeys, subs, strict=True):
        _assert_matches_gpg(subkey, line, sub_fpr)
    assert key.has_encryption_subkey == bool(subs)
    assert key.revoked == pub.startswith("pub:r:")


def test_algorithm_names_follow_rfc_9580():
    assert parse_public_key(_text("ed25519-expires-2030.asc")).algorithm == "EdDSA"
    assert parse_public_key(_text("ed25519-expires-2030.asc")).subkeys[0].algorithm == "ECDH"
    assert parse_public_key(_text("rsa3072-no-expiry.asc")).algorithm == "RSA"


def test_user_ids_keep_packet_order():
    key = parse_public_key(_text("ed25519-two-user-ids.asc"))

    assert key.user_ids == ("Two Names <one@example.net>", "Two Names (NOC) <noc@example.net>")


def test_a_version_6_key_has_the_fingerprints_rfc_9580_states():
    key = parse_public_key(_text("rfc9580-a3-v6.asc"))

    # RFC 9580 Appendix A.3 (and §5.5.4.3 for the key id: the leading 64 bits).
    assert key.version == 6
    assert key.fingerprint == "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9"
    assert key.key_id == "CB186C4F0609A697"
    assert (key.algorithm, key.bits, key.curve) == ("Ed25519", 255, "ed25519")
    assert key.created == datetime(2022, 11, 30, 16, 8, 3, tzinfo=UTC)
    assert key.expires is None
    assert key.user_ids == ()
    assert key.usage == {KeyUsage.CERTIFY, KeyUsage.SIGN}
    (subkey,) = key.subkeys
    assert subkey.fingerprint == "12C83F1E706F6308FE151A417743A1F033790E93E9978488D1DB378DA9930885"
    assert (subkey.algorithm, subkey.curve) == ("X25519", "cv25519")
    assert subkey.usage == {KeyUsage.ENCRYPT}
    assert key.usable_for_encryption(datetime(2030, 1, 1, tzinfo=UTC))


def test_a_key_in_an_unarmored_binary_export_reads_the_same():
    binary = (FIXTURES / "ed25519-two-user-ids.gpg").read_bytes()

    assert parse_public_key(binary) == parse_public_key(_text("ed25519-two-user-ids.asc"))


def test_armored_bytes_are_accepted_like_text():
    name = "rsa3072-no-expiry.asc"

    assert parse_public_key((FIXTURES / name).read_bytes()) == parse_public_key(_text(name))


def test_armor_reproduces_gnupgs_armor_byte_for_byte():
    binary = (FIXTURES / "ed25519-two-user-ids.gpg").read_bytes()

    assert armor(binary) == _text("ed25519-two-user-ids.asc")


def test_crc24_of_nothing_is_the_initial_value():
    assert crc24(b"") == 0xB704CE


def test_new_format_packet_headers_give_the_same_key():
    binary = _binary("rsa3072-no-expiry.asc")
    expected = parse_public_key(binary)

    assert parse_public_key(_new_format(binary)) == expected
    assert parse_public_key(_new_format(binary, five_octet=True)) == expected


def test_only_the_first_key_of_a_keyring_is_read():
    keyring = _binary("ed25519-expires-2030.asc") + _binary("rsa3072-no-expiry.asc")

    key = parse_public_key(keyring)

    assert key.fingerprint == "ED9B81013E467D587DCC3566032E44F6FB1B4222"
    assert len(key.subkeys) == 1


def test_partial_body_lengths_are_joined_for_data_packets():
    # A literal data packet (tag 11) of 512 + 3 octets in two parts, before the key.
    literal = b"\xcb" + b"\xe9" + b"x" * 512 + b"\x03" + b"end"
    data = literal + _binary("ed25519-expires-2030.asc")

    tags = [(p.tag, len(p.body)) for p in _packets(data)][:2]

    assert tags == [(11, 515), (6, 51)]
    assert parse_public_key(data).fingerprint == "ED9B81013E467D587DCC3566032E44F6FB1B4222"


def test_armor_headers_and_a_missing_blank_line_are_tolerated():
    lines = _text("ed25519-expires-2030.asc").splitlines()
    with_headers = "\n".join([lines[0], "Comment: ops key", "Version: x", *lines[2:]])
    in_an_email = "Hello,\r\n\r\nhere is my key:\r\n\r\n" + with_headers.replace("\n", "\r\n")

    assert parse_public_key(with_headers).fingerprint.endswith("FB1B4222")
    assert parse_public_key(in_an_email).fingerprint.endswith("FB1B4222")


def test_armor_without_a_checksum_is_accepted():
    lines = [line for line in _text("rsa3072-no-expiry.asc").splitlines() if line[:1] != "="]

    assert parse_public_key("\n".join(lines)).bits == 3072


# -- time ------------------------------------------------------------------------------


def test_a_key_expiring_in_2030_is_usable_until_then():
    key = parse_public_key(_text("ed25519-expires-2030.asc"))

    assert key.usable_for_encryption(datetime(2027, 1, 1, tzinfo=UTC))
    assert not key.is_expired(datetime(2030, 6, 1, 11, 59, 59, tzinfo=UTC))
    assert key.is_expired(datetime(2030, 6, 1, 12, 0, tzinfo=UTC))
    assert not key.usable_for_encryption(datetime(2030, 6, 2, tzinfo=UTC))


def test_an_expired_key_is_not_usable_for_encryption_now():
    key = parse_public_key(_text("ed25519-expired-2021.asc"))

    assert key.is_expired(datetime.now(UTC))
    assert not key.usable_for_encryption(datetime.now(UTC))
    assert key.usable_for_encryption(datetime(2020, 6, 1, tzinfo=UTC))


def test_a_key_without_expiry_never_expires():
    key = parse_public_key(_text("rsa3072-no-expiry.asc"))

    assert not key.is_expired(datetime(2999, 1, 1, tzinfo=UTC))
    assert key.usable_for_encryption(datetime(2999, 1, 1, tzinfo=UTC))


def test_a_key_without_an_encryption_subkey_is_not_usable_for_encryption():
    key = parse_public_key(_text("ed25519-two-user-ids.asc"))

    assert not key.has_encryption_subkey
    assert not key.usable_for_encryption(datetime(2027, 1, 1, tzinfo=UTC))


def test_a_revoked_key_is_not_usable_for_encryption():
    key = parse_public_key(_text("ed25519-revoked.asc"))

    assert key.revoked
    assert key.has_encryption_subkey
    assert not key.usable_for_encryption(datetime(2027, 1, 1, tzinfo=UTC))


def test_a_naive_datetime_is_refused():
    key = parse_public_key(_text("ed25519-expires-2030.asc"))

    with pytest.raises(ValueError, match="timezone-aware"):
        key.is_expired(datetime(2027, 1, 1))


def test_a_public_key_refuses_a_fingerprint_that_is_not_uppercase_hex():
    key = parse_public_key(_text("ed25519-expires-2030.asc"))
    fields = {name: getattr(key, name) for name in PublicKey.__dataclass_fields__}

    with pytest.raises(ValueError, match="uppercase hex"):
        PublicKey(**{**fields, "fingerprint": key.fingerprint.lower()})
    with pytest.raises(ValueError, match="has_encryption_subkey"):
        PublicKey(**{**fields, "has_encryption_subkey": False})


# -- malformed input -------------------------------------------------------------------


def _problem(data: str | bytes) -> str:
    with pytest.raises(InputError) as caught:
        parse_public_key(data)
    assert caught.value.location.field == "pgp_key"
    assert caught.value.hint
    return caught.value.problem


@pytest.mark.parametrize("data", ["", "  \n\t", b"", b"\n"])
def test_an_empty_key_is_refused(data: str | bytes):
    assert _problem(data) == "the key is empty"


def test_a_truncated_binary_key_is_refused():
    binary = (FIXTURES / "ed25519-two-user-ids.gpg").read_bytes()

    assert _problem(binary[:30]) == (
        "the packet at byte 0 is truncated: its header announces 51 octets but only 28 remain"
    )
    assert _problem(binary[:1]) == "the packet header at byte 0 is truncated"


def test_an_armored_key_cut_short_is_refused():
    text = _text("ed25519-expires-2030.asc")

    assert _problem(text[: len(text) // 2]) == (
        "no '-----END PGP PUBLIC KEY BLOCK-----' line found; the key looks truncated"
    )


def test_a_bad_checksum_is_refused():
    lines = _text("ed25519-expires-2030.asc").splitlines()
    checksum = next(i for i, line in enumerate(lines) if line.startswith("="))
    bad_crc = [*lines[:checksum], "=AAAA", *lines[checksum + 1 :]]
    altered = list(lines)
    altered[2] = ("B" if altered[2][0] != "B" else "C") + altered[2][1:]

    message = (
        "the armor checksum (CRC24) does not match: the key was altered or truncated on the way"
    )
    assert _problem("\n".join(bad_crc)) == message
    assert _problem("\n".join(altered)) == message


def test_a_malformed_checksum_line_is_refused():
    lines = [
        line if line[:1] != "=" else "=!!" for line in _text("rsa3072-no-expiry.asc").split("\n")
    ]

    assert _problem("\n".join(lines)) == "the armor checksum line is malformed"


def test_garbage_is_refused():
    assert _problem("hello, here is my key") == (
        "no '-----BEGIN PGP PUBLIC KEY BLOCK-----' line found"
    )
    assert _problem(b"hello") == ("byte 0 is not the start of an OpenPGP packet; is this a key?")
    assert _problem(armor(b"\x00\x01")) == (
        "byte 0 is not the start of an OpenPGP packet; is this a key?"
    )


def test_an_armored_body_that_is_not_base64_is_refused():
    text = armor(b"abc").replace("YWJj", "YW*j")

    assert _problem(text) == "the armored key is not valid base64"


def test_a_private_key_block_is_refused_with_a_warning():
    # A made-up secret key packet (tag 5); no real private key is kept in the repository.
    secret = b"\xc5\x06\x04\x00\x00\x00\x00\x16"

    with pytest.raises(InputError, match="never share a private key"):
        parse_public_key(armor(secret, "PRIVATE KEY BLOCK"))
    assert _problem(armor(secret, "PRIVATE KEY BLOCK")) == (
        "this is a PRIVATE KEY BLOCK, not a public key"
    )
    assert _problem(secret) == "this is a private key, not a public key"
    assert _problem(armor(secret)) == "this is a private key, not a public key"


def test_other_armored_blocks_are_refused():
    assert _problem(armor(b"\xa3\x01", "MESSAGE")) == (
        "the armor holds a PGP MESSAGE, not a PUBLIC KEY BLOCK"
    )


def test_data_without_a_public_key_packet_is_refused():
    user_id_only = b"\xb4\x03bob"

    assert _problem(user_id_only) == "no public key packet found (OpenPGP packet tag 6)"


@pytest.mark.parametrize(
    ("version", "detail"),
    [
        (3, "version 2 and 3 keys are obsolete (RFC 9580 §5.5.2.1)"),
        (5, "version 5 is LibrePGP, not the IETF standard"),
        (9, "only versions 4 and 6 are defined (RFC 9580 §5.5.2)"),
    ],
)
def test_unsupported_key_versions_are_refused(version: int, detail: str):
    packet = b"\x98\x06" + bytes([version]) + b"\x00\x00\x00\x00\x01"

    assert _problem(packet) == f"public key version {version} is not supported: {detail}"


def test_a_truncated_key_packet_body_is_refused():
    # Version 4 RSA key whose modulus MPI announces 2048 bits but carries 2 octets.
    packet = b"\x98\x0a\x04\x00\x00\x00\x00\x01\x08\x00\xab\xcd"

    assert _problem(packet) == "the public key packet at byte 0 is truncated or malformed"


def test_partial_lengths_on_a_key_packet_are_refused():
    packet = b"\xc6\xe9" + b"\x04" * 512 + b"\x00"

    assert _problem(packet) == (
        "the packet at byte 0 (tag 6) uses partial body lengths, which only data packets "
        "may use (RFC 4880 §4.2.2.4)"
    )


def test_the_error_names_the_field():
    with pytest.raises(InputError) as caught:
        parse_public_key("")

    assert str(caught.value).startswith("field 'pgp_key': the key is empty")
    assert caught.value.exit_code == 65


# -- fuzz ------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEED = _binary("ed25519-expires-2030.asc")


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_raise_nothing_but_input_error(data: bytes):
    with contextlib.suppress(InputError):
        parse_public_key(data)


@FUZZ
@given(st.text(max_size=512))
def test_random_text_raises_nothing_but_input_error(data: str):
    with contextlib.suppress(InputError):
        parse_public_key(data)


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, len(SEED)),
)
def test_corrupted_keys_raise_nothing_but_input_error(edits: list[tuple[int, int]], cut: int):
    data = bytearray(SEED)
    for position, value in edits:
        data[position] = value
    for attempt in (bytes(data[:cut]), armor(bytes(data))):
        with contextlib.suppress(InputError):
            parse_public_key(attempt)
