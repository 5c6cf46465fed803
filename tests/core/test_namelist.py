"""Name-list ingestion: formats, bad lines with their numbers, encodings, limits, speed."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from dnscc.core.errors import InputError
from dnscc.core.namelist import open_names, read_names, read_text_lines, split_by_tld

PLAIN = (
    b"# Avalanche sample\nBad.Example.COM.\n\nbad.example.com\nb\xc3\xbccher.de  # IDN\nfoo..bar\n"
)


def _read(data: bytes, filename: str = "list.txt", max_bytes: int | None = 1 << 20):
    return read_names(io.BytesIO(data), filename=filename, max_bytes=max_bytes)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_plain_list_skips_comments_and_blank_lines() -> None:
    names, summary = _read(PLAIN)
    assert names == ["bad.example.com", "xn--bcher-kva.de"]
    assert summary.total_lines == 6
    assert summary.blank_or_comment == 2


def test_duplicates_are_collapsed_and_counted() -> None:
    names, summary = _read(b"a.example\nA.EXAMPLE.\na.example\nb.example\n")
    assert names == ["a.example", "b.example"]
    assert summary.valid == 2
    assert summary.duplicates == 2


def test_idn_u_labels_become_a_labels() -> None:
    names, _ = _read("пример.рф\nBÜCHER.de.\n".encode())
    assert names == ["xn--e1afmkfd.xn--p1ai", "xn--bcher-kva.de"]


def test_junk_lines_are_reported_with_their_line_numbers_and_reasons() -> None:
    data = b"ok.example\nfoo..bar\nhttp://x.example/path\ncom\n" + b"x" * 300 + b".com\n"
    names, summary = _read(data)
    assert names == ["ok.example"]
    assert [(item.line, item.file) for item in summary.invalid] == [
        (2, "list.txt"),
        (3, "list.txt"),
        (4, "list.txt"),
        (5, "list.txt"),
    ]
    assert "empty" in summary.invalid[0].reason
    assert "invalid characters" in summary.invalid[1].reason
    assert "top-level domain" in summary.invalid[2].reason
    assert len(summary.invalid[3].text) <= 80
    assert summary.invalid[3].text.endswith("...")


def test_the_invalid_list_is_capped_but_every_invalid_line_is_counted() -> None:
    data = b"bad..name\n" * 50 + b"good.example\n"
    names = open_names(io.BytesIO(data), filename="f", max_bytes=None, max_invalid=10)
    assert [item.name for item in names] == ["good.example"]
    assert len(names.summary.invalid) == 10
    assert names.summary.invalid_count == 50


def test_valid_names_come_with_their_line_numbers() -> None:
    found = list(open_names(io.BytesIO(PLAIN), filename="f.txt", max_bytes=None))
    assert [(item.name, item.line, item.file) for item in found] == [
        ("bad.example.com", 2, "f.txt"),
        ("xn--bcher-kva.de", 5, "f.txt"),
    ]


def test_a_line_that_is_not_utf8_is_refused_not_guessed() -> None:
    # Issue 18, defect 11: read as Windows-1252 these bytes became the real xn--zz-zkade.com.
    names, summary = _read(b"ok.example\n\xff\xfe\xfdzz.com\n")
    assert names == ["ok.example"]
    assert summary.invalid_count == 1
    (bad,) = summary.invalid
    assert bad.line == 2
    assert "not UTF-8 text" in bad.reason
    assert summary.non_utf8_lines == 0


def test_mixed_encodings_are_read_per_line_when_the_user_names_the_encoding() -> None:
    data = "münchen.de\n".encode() + "zürich.ch\n".encode("cp1252") + b"plain.example\n"
    names, summary = read_names(
        io.BytesIO(data), filename="list.txt", max_bytes=1 << 20, encoding="cp1252"
    )
    assert names == ["xn--mnchen-3ya.de", "xn--zrich-kva.ch", "plain.example"]
    assert summary.non_utf8_lines == 1
    assert summary.non_utf8_examples == [("list.txt", 2)]


def test_a_utf16_file_from_a_spreadsheet_is_read() -> None:
    names, _ = _read("name\r\nüber.example\r\nb.example\r\n".encode("utf-16"))
    assert names == ["xn--ber-goa.example", "b.example"]


def test_a_utf8_byte_order_mark_and_crlf_line_ends_are_ignored() -> None:
    names, summary = _read(b"\xef\xbb\xbfa.example\r\nb.example\r\n")
    assert names == ["a.example", "b.example"]
    assert summary.invalid_count == 0


def test_csv_uses_the_first_column_without_a_header() -> None:
    names, _ = _read(b"a.example,2025-01-01,x\nb.example,2025-01-02,y\n", "l.csv")
    assert names == ["a.example", "b.example"]


def test_csv_uses_the_column_named_domain_in_a_header_row() -> None:
    data = b'id;Domain;first_seen\n1;"A.example";2025\n2;b.example;2025\n3\n'
    names, summary = _read(data, "l.csv")
    assert names == ["a.example", "b.example"]
    assert [(item.line, item.reason) for item in summary.invalid] == [
        (4, "the row has no column 2 (the name)")
    ]


def test_a_gzip_list_is_recognised_by_its_magic_bytes_not_its_name() -> None:
    names, summary = _read(gzip.compress(PLAIN), filename="upload.bin")
    assert names == ["bad.example.com", "xn--bcher-kva.de"]
    assert summary.decompressed_bytes == len(PLAIN)


def test_every_file_of_a_zip_is_read_with_its_own_line_numbers() -> None:
    data = _zip(
        {
            "a.txt": b"a.example\nbad..one\n",
            "dir/b.csv": b"domain,x\nb.example,1\n",
            "c.txt.gz": gzip.compress(b"c.example\na.example\n"),
        }
    )
    names, summary = _read(data, filename="up.zip")
    assert names == ["a.example", "b.example", "c.example"]
    assert summary.files == ["up.zip/a.txt", "up.zip/dir/b.csv", "up.zip/c.txt.gz"]
    assert [(i.file, i.line) for i in summary.invalid] == [("up.zip/a.txt", 2)]
    assert summary.duplicates == 1


def test_a_zip_bomb_is_refused_naming_the_limit() -> None:
    bomb = _zip({"bomb.txt": b"a.example\n" * 2_000_000})  # 20 MB of text, ~40 kB zipped
    assert len(bomb) < 100_000
    with pytest.raises(InputError) as caught:
        _read(bomb, filename="bomb.zip", max_bytes=1_000_000)
    assert "1,000,000 bytes" in str(caught.value)
    assert "max_bytes" in str(caught.value)
    assert caught.value.location.file == "bomb.zip"


def test_a_gzip_bomb_is_refused_while_streaming() -> None:
    bomb = gzip.compress(b"\n" * 50_000_000)
    with pytest.raises(InputError, match="limit of 1,000,000 bytes"):
        _read(bomb, max_bytes=1_000_000)


def test_a_plain_upload_over_the_limit_is_refused() -> None:
    with pytest.raises(InputError, match="limit of 100 bytes"):
        _read(b"a.example\n" * 20, max_bytes=100)


def test_a_line_without_end_is_reported_as_too_long_without_being_kept() -> None:
    names, summary = _read(b"a" * 300_000 + b"\nok.example\n", max_bytes=None)
    assert names == ["ok.example"]
    assert summary.invalid[0].line == 1
    assert "longer than" in summary.invalid[0].reason


def test_a_damaged_gzip_is_an_input_error() -> None:
    with pytest.raises(InputError, match="gzip"):
        _read(gzip.compress(PLAIN)[:-12])


def test_a_seen_set_collapses_duplicates_across_uploads() -> None:
    seen: set[str] = set()
    first = [
        n.name
        for n in open_names(io.BytesIO(b"a.example\n"), filename="1", max_bytes=None, seen=seen)
    ]
    second = open_names(
        io.BytesIO(b"a.example\nb.example\n"), filename="2", max_bytes=None, seen=seen
    )
    assert first == ["a.example"]
    assert [n.name for n in second] == ["b.example"]
    assert second.summary.duplicates == 1


def test_a_name_list_can_be_iterated_only_once() -> None:
    names = open_names(io.BytesIO(b"a.example\n"), filename="f", max_bytes=None)
    list(names)
    with pytest.raises(RuntimeError):
        list(names)


def test_read_text_lines_numbers_lines_from_one() -> None:
    lines = list(read_text_lines(io.BytesIO(b"x\r\ny\n"), filename="f", max_bytes=None))
    assert [(line.text, line.line) for line in lines] == [("x", 1), ("y", 2)]


def test_split_by_tld_groups_names_under_sorted_tlds() -> None:
    assert split_by_tld(["b.net", "a.com", "c.net"]) == {
        "com": ["a.com"],
        "net": ["b.net", "c.net"],
    }


def test_a_long_ascii_list_is_read_whole() -> None:
    # Speed is measured by `scripts/bench campaign_core` (a million names), not here.
    data = "".join(f"host{i}.example{i % 997}.com\n" for i in range(50_000)).encode()
    names = open_names(io.BytesIO(data), filename="big", max_bytes=None)
    assert sum(1 for _ in names) == 50_000


def test_a_lone_carriage_return_in_a_csv_row_is_an_invalid_line() -> None:
    names, summary = read_names(
        io.BytesIO(b'name,source\n"a.alpha",x\ry\nb.alpha,z\n'), filename="l.csv", max_bytes=None
    )
    assert names == ["b.alpha"]
    assert [item.line for item in summary.invalid] == [2]
    assert "not valid CSV" in summary.invalid[0].reason


def test_gzip_inside_gzip_beyond_the_nesting_limit_is_refused() -> None:
    data = b"a.alpha\n"
    for _ in range(3):
        data = gzip.compress(data)
    assert read_names(io.BytesIO(data), filename="l.gz", max_bytes=None)[0] == ["a.alpha"]
    with pytest.raises(InputError, match="compressed more than 3 times"):
        read_names(io.BytesIO(gzip.compress(data)), filename="l.gz", max_bytes=None)
