"""Streaming ingestion of domain-name lists for coordinated action campaigns.

A campaign starts from lists of names published by researchers or partner CERTs: Conficker
C's 50,000 generated names a day over 110 TLDs, Avalanche's 800,000 names in 60+ TLDs.
`open_names` reads such a list from a binary stream, one line at a time:

* plain text, one name per line; blank lines and `#` comments (whole-line or after the
  name) are skipped;
* CSV (comma, semicolon or tab, detected on the first data line): the first column, or the
  column named `name`, `domain`, `domain_name` or `fqdn` when the first row is a header;
* gzip, recognised by its magic bytes (not by the file name), including concatenated members;
* zip: every member file, in archive order, each streamed (a member may itself be gzip);
* UTF-16 with a byte-order mark (what spreadsheets call "Unicode text").

Each line is decoded as UTF-8. A line that is not valid UTF-8 is refused as an invalid line
("not UTF-8 text"), never guessed: read as Windows-1252, the bytes ``\xff\xfe\xfdzz.com``
became the real name ``xn--zz-zkade.com``. When the user names the file's encoding
(`encoding="cp1252"`, `--encoding` on the command line), such lines are decoded with it
and counted in `IngestSummary.non_utf8_lines`; the other lines stay UTF-8.

Every name goes through `dnscc.core.names.normalize_name` (the one normaliser), so U-labels
become A-labels and "Example.COM." equals "example.com". Lines that do not hold a valid
name are collected as `InvalidLine` (file, line number, shortened text, reason); the first
`max_invalid` are kept and all are counted. Duplicates are collapsed with a set of the names
seen so far.

Memory. Apart from that set, memory does not grow with the input: lines are read with a
bounded `readline`, archives are decompressed incrementally, nothing holds the whole file.
The set costs about 110 bytes per unique name in CPython 3.11+ (a compact ASCII `str` of
26 characters is 75 bytes, the set's hash table ~34 bytes per entry at 1,000,000 entries):
about 110 MB for 1,000,000 names, shared with any list the caller keeps of the same
strings. `bench/campaign_core.py` measures the process peak: 225 MiB while holding
1,000,000 mixed names in the set and in a list (and the 30 MB input).

Zip bombs. Every decompressed byte (and every byte of a plain file) counts against
`max_bytes`; passing the limit raises `InputError` naming the limit, whatever the archive
claims in its headers. A zip is first spooled to a temporary file (zipfile must seek), and
the archive's own size is held to the same limit.

Speed. Input is read in 64 KiB chunks and split into lines (about 0.1 s per million);
the hot path per line is then `normalize_name`'s ASCII fast path (one regular-expression
match) and a set lookup. Measured on a 2-core machine: 1,000,000 ASCII names in about
2.4 s; IDN lines take the slow IDNA path (tens of microseconds each).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO, NamedTuple, Protocol

from dnscc.core.errors import InputError, Location
from dnscc.core.names import normalize_name, tld_of

__all__ = [
    "DEFAULT_MAX_BYTES",
    "HEADER_WORDS",
    "IngestSummary",
    "InvalidLine",
    "NameLine",
    "NameList",
    "TextLine",
    "open_names",
    "read_names",
    "read_text_lines",
    "split_by_tld",
]

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
"""A suggested decompressed-size limit: 256 MiB holds ~10 million names of 25 characters."""

HEADER_WORDS = frozenset({"name", "domain", "domain_name", "domainname", "fqdn", "qname"})
"""Header cells that name the column holding the domain name (compared case-insensitively)."""

MAX_LINE_BYTES = 64 * 1024
"""A longer line is reported invalid and skipped without being held in memory."""

MAX_ZIP_MEMBERS = 10_000
MAX_NESTING = 3
"""Layers of compression around a file (gzip in zip in gzip ...): more is refused."""
_SHOWN_CHARS = 80
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 64 * 1024


class NameLine(NamedTuple):
    """A valid, normalised, first-seen name and where it was read."""

    name: str
    line: int
    file: str


class TextLine(NamedTuple):
    """One decoded line of an input (without its line ending), and where it was read."""

    text: str
    line: int
    file: str


@dataclass(frozen=True)
class InvalidLine:
    """A line that does not hold a valid name: where, what (shortened) and why."""

    file: str
    line: int
    text: str
    reason: str

    def as_error(self) -> InputError:
        """The same problem as an InputError (for `ValidationErrors`)."""
        return InputError(self.reason, location=Location(file=self.file, line=self.line))


@dataclass
class IngestSummary:
    """What `open_names` read; complete once the names have been iterated to the end.

    `valid` counts unique valid names (those yielded); `duplicates` counts further
    occurrences of a name already seen. `invalid` keeps the first `max_invalid` problems,
    `invalid_count` counts them all. `non_utf8_lines` counts lines decoded as cp1252/Latin-1;
    `non_utf8_examples` keeps the first few of their (file, line) places.
    """

    max_invalid: int = 1000
    files: list[str] = field(default_factory=list)
    total_lines: int = 0
    blank_or_comment: int = 0
    valid: int = 0
    duplicates: int = 0
    invalid_count: int = 0
    invalid: list[InvalidLine] = field(default_factory=list)
    non_utf8_lines: int = 0
    non_utf8_examples: list[tuple[str, int]] = field(default_factory=list)
    decompressed_bytes: int = 0
    encoding: str | None = None  # for lines that are not UTF-8, when the user names one

    def add_invalid(self, file: str, line: int, text: str, reason: str) -> None:
        self.invalid_count += 1
        if len(self.invalid) < self.max_invalid:
            self.invalid.append(InvalidLine(file, line, _shorten(text), reason))

    def as_dict(self) -> dict[str, object]:
        return {
            "files": list(self.files),
            "total_lines": self.total_lines,
            "blank_or_comment": self.blank_or_comment,
            "valid": self.valid,
            "duplicates": self.duplicates,
            "invalid_count": self.invalid_count,
            "invalid": [vars(item) for item in self.invalid],
            "non_utf8_lines": self.non_utf8_lines,
            "decompressed_bytes": self.decompressed_bytes,
        }


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


# --- Bytes: format detection, decompression and the byte limit ---------------------------


class _Budget:
    """Counts bytes against `max_bytes` over a whole upload (every archive member)."""

    def __init__(self, max_bytes: int | None, filename: str, summary: IngestSummary) -> None:
        self.max_bytes = max_bytes
        self.filename = filename
        self.summary = summary

    def spend(self, count: int) -> None:
        self.summary.decompressed_bytes += count
        if self.max_bytes is not None and self.summary.decompressed_bytes > self.max_bytes:
            raise InputError(
                f"the content is larger than the limit of {self.max_bytes:,} bytes"
                " (max_bytes), counted after decompression",
                location=Location(file=self.filename),
                hint="split the list into smaller files, or raise the limit"
                " if this is a real list and not a zip bomb",
            )

    def check_compressed(self, count: int) -> None:
        """The archive itself (before decompression) is bounded by the same limit."""
        if self.max_bytes is not None and count > self.max_bytes:
            raise InputError(
                f"the archive is larger than the limit of {self.max_bytes:,} bytes (max_bytes)",
                location=Location(file=self.filename),
                hint="split the list into smaller files",
            )


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _StreamRaw(io.RawIOBase):
    """Presents any object with `read(n)` as a raw stream, so io.BufferedReader can peek."""

    def __init__(self, stream: _Readable) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        return size


def _buffered(stream: _Readable) -> io.BufferedReader:
    return io.BufferedReader(_StreamRaw(stream), buffer_size=_CHUNK)


def _byte_chunks(reader: io.BufferedReader, budget: _Budget) -> Iterator[bytes]:
    """The file's bytes in chunks, as UTF-8 (UTF-16 with a byte-order mark is re-encoded)."""
    if reader.peek(2)[:2] in _UTF16_BOMS:
        yield from _utf16_chunks(reader, budget)
        return
    read = reader.read
    spend = budget.spend
    while chunk := read(_CHUNK):
        spend(len(chunk))
        yield chunk


def _utf16_chunks(reader: io.BufferedReader, budget: _Budget) -> Iterator[bytes]:
    class _Counting(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
            data = reader.read(len(buffer))
            budget.spend(len(data))
            buffer[: len(data)] = data
            return len(data)

    text = io.TextIOWrapper(io.BufferedReader(_Counting()), encoding="utf-16", newline="")
    while chunk := text.read(_CHUNK // 2):
        yield chunk.encode("utf-8")


# Stands for a line that is not UTF-8 (already reported invalid): compared by identity.
_UNDECODED = "\x00 not decoded"


def _decode(raw: bytes, first: int, label: str, summary: IngestSummary) -> list[str]:
    """Lines of a chunk of complete lines: UTF-8 when all of it is, else line by line."""
    try:
        return raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        pass
    lines: list[str] = []
    for offset, line in enumerate(raw.split(b"\n")):
        try:
            lines.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        if summary.encoding is None:
            summary.add_invalid(
                label,
                first + offset,
                line.decode("utf-8", "backslashreplace"),
                "not UTF-8 text: name the file's encoding to read it (e.g. cp1252)",
            )
            lines.append(_UNDECODED)
            continue
        try:
            lines.append(line.decode(summary.encoding))
        except UnicodeDecodeError:
            summary.add_invalid(
                label,
                first + offset,
                line.decode("utf-8", "backslashreplace"),
                f"not {summary.encoding} text either",
            )
            lines.append(_UNDECODED)
            continue
        summary.non_utf8_lines += 1
        if len(summary.non_utf8_examples) < 20:
            summary.non_utf8_examples.append((label, first + offset))
    return lines


def _line_batches(
    reader: io.BufferedReader, label: str, budget: _Budget, summary: IngestSummary
) -> Iterator[tuple[int, list[str | None]]]:
    """(number of the first line, lines) batches of one decompressed file.

    Reading 64 KiB chunks and splitting them costs far less per line than `readline`. A line
    still unfinished after MAX_LINE_BYTES is dropped as it streams (None stands for it), so an
    input without line breaks cannot fill the memory.
    """
    summary.files.append(label)
    pending = b""
    skipping = False  # inside a line already reported as too long
    number = 1
    for chunk in _byte_chunks(reader, budget):
        if skipping:
            cut = chunk.find(b"\n")
            if cut < 0:
                continue
            chunk = chunk[cut + 1 :]
            skipping = False
            number += 1
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            pending = data[cut + 1 :]
            lines: list[str | None] = list(_decode(data[:cut], number, label, summary))
            if number == 1 and lines[0] and lines[0].startswith("\ufeff"):
                lines[0] = lines[0][1:]
            yield number, lines
            number += len(lines)
        if len(pending) > MAX_LINE_BYTES:
            yield number, [None]
            pending, skipping = b"", True
    if pending:
        tail: list[str | None] = list(_decode(pending, number, label, summary))
        if number == 1 and tail[0] and tail[0].startswith("\ufeff"):
            tail[0] = tail[0][1:]
        yield number, tail


def _file_batches(
    reader: io.BufferedReader,
    label: str,
    budget: _Budget,
    summary: IngestSummary,
    *,
    depth: int = 0,
    zipped: bool = False,
) -> Iterator[tuple[str, int, list[str | None]]]:
    """Lines of one file, decompressing gzip and opening zip by their magic bytes.

    `depth` counts the layers of compression around it (a gzip bomb of nested layers stops
    at MAX_NESTING); `zipped` says it is a zip member (no zip inside a zip)."""
    magic = reader.peek(4)[:4]
    if magic.startswith(_GZIP_MAGIC):
        if depth >= MAX_NESTING:
            raise InputError(
                f"the file is compressed more than {MAX_NESTING} times over",
                location=Location(file=label),
                hint="decompress it and upload the list (or one gzip or zip of it)",
            )
        inner = gzip.GzipFile(fileobj=reader, mode="rb")
        try:
            yield from _file_batches(_buffered(inner), label, budget, summary, depth=depth + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(
                f"the gzip data is damaged or truncated: {exc}",
                location=Location(file=label),
            ) from None
        return
    if magic in _ZIP_MAGIC:
        if zipped:
            raise InputError(
                "a zip archive inside another archive is not supported",
                location=Location(file=label),
                hint="unpack the inner archive and upload its files",
            )
        yield from _zip_lines(reader, label, budget, summary, depth=depth + 1)
        return
    for first, lines in _line_batches(reader, label, budget, summary):
        yield label, first, lines


def _zip_lines(
    reader: io.BufferedReader,
    label: str,
    budget: _Budget,
    summary: IngestSummary,
    *,
    depth: int,
) -> Iterator[tuple[str, int, list[str | None]]]:
    # zipfile needs to seek (the member list is at the end); spool a stream that cannot.
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        spooled = 0
        while chunk := reader.read(_CHUNK):
            spooled += len(chunk)
            budget.check_compressed(spooled)
            spool.write(chunk)
        spool.seek(0)
        try:
            archive = zipfile.ZipFile(spool)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(
                f"the zip archive is damaged: {exc}", location=Location(file=label)
            ) from None
        with archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                raise InputError(
                    f"the zip archive has {len(members):,} files, more than {MAX_ZIP_MEMBERS:,}",
                    location=Location(file=label),
                )
            for info in members:
                member_label = f"{label}/{info.filename}"
                if info.flag_bits & 0x1:
                    raise InputError(
                        "the zip member is encrypted", location=Location(file=member_label)
                    )
                try:
                    with archive.open(info) as member:
                        yield from _file_batches(
                            _buffered(member),
                            member_label,
                            budget,
                            summary,
                            depth=depth,
                            zipped=True,
                        )
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                    raise InputError(
                        f"the zip member cannot be read: {exc}",
                        location=Location(file=member_label),
                    ) from None


def _batches(
    stream: IO[bytes], filename: str, max_bytes: int | None, summary: IngestSummary
) -> Iterator[tuple[str, int, list[str | None]]]:
    budget = _Budget(max_bytes, filename, summary)
    return _file_batches(_buffered(stream), filename, budget, summary)


def _too_long(summary: IngestSummary, file: str, number: int) -> None:
    summary.add_invalid(file, number, "", f"the line is longer than {MAX_LINE_BYTES:,} bytes")


def read_text_lines(
    stream: IO[bytes],
    *,
    filename: str,
    max_bytes: int | None,
    summary: IngestSummary | None = None,
) -> Iterator[TextLine]:
    """Every decoded line of an upload (plain, gzip, zip, UTF-16), streamed, numbered from 1.

    The building block of `open_names` and of `dnscc.core.manifest.parse_outcomes`.
    Raises InputError when the content passes `max_bytes` (after decompression) or an
    archive is damaged. Line endings are removed; a UTF-8 byte-order mark is dropped. A
    line longer than MAX_LINE_BYTES is not yielded: it is counted in `summary.invalid`.
    `summary.total_lines` counts every line.
    """
    summary = summary if summary is not None else IngestSummary()
    for file, first, lines in _batches(stream, filename, max_bytes, summary):
        summary.total_lines += len(lines)
        for number, text in enumerate(lines, start=first):
            if text is None:
                _too_long(summary, file, number)
            elif text is not _UNDECODED:
                yield TextLine(text.rstrip("\r"), number, file)


# --- Names: CSV columns, normalisation, duplicates ------------------------------------


def _csv_delimiter(text: str) -> str | None:
    for delimiter in (",", "\t", ";"):
        if delimiter in text:
            return delimiter
    return None


class NameList:
    """The valid, unique names of one upload, read lazily; `summary` fills as you iterate.

    Iterate once. Pass the same `seen` set to several `open_names` calls to collapse
    duplicates across files of one campaign.
    """

    def __init__(
        self,
        stream: IO[bytes],
        *,
        filename: str,
        max_bytes: int | None,
        max_invalid: int = 1000,
        min_labels: int = 2,
        seen: set[str] | None = None,
        encoding: str | None = None,
    ) -> None:
        self.summary = IngestSummary(max_invalid=max_invalid, encoding=_codec(encoding))
        self.seen: set[str] = seen if seen is not None else set()
        self._stream = stream
        self._filename = filename
        self._max_bytes = max_bytes
        self._min_labels = min_labels
        self._started = False

    def __iter__(self) -> Iterator[NameLine]:
        if self._started:
            raise RuntimeError("a NameList can be iterated only once")
        self._started = True
        return self._names()

    def _names(self) -> Iterator[NameLine]:
        summary = self.summary
        seen = self.seen
        add_seen = seen.add
        min_dots = self._min_labels - 1
        normalize = normalize_name
        # Per file: None until the first data line decides plain text or CSV.
        current_file = ""
        mode: str | None = None
        delimiter = ","
        column = 0
        for file, first, lines in _batches(self._stream, self._filename, self._max_bytes, summary):
            summary.total_lines += len(lines)
            if file != current_file:
                current_file, mode = file, None
            number = first - 1
            for text in lines:
                number += 1
                if text is None:
                    _too_long(summary, file, number)
                    continue
                if text is _UNDECODED:
                    continue  # reported as invalid when it was read
                if "#" in text:
                    text = text.partition("#")[0]
                if not text or text.isspace():
                    summary.blank_or_comment += 1
                    continue
                if mode is None:
                    found = _csv_delimiter(text)
                    if found is None:
                        mode = "plain"
                        if text.strip().lower() in HEADER_WORDS:
                            summary.blank_or_comment += 1  # a one-column header row
                            continue
                    else:
                        mode, delimiter = "csv", found
                        cells = [c.strip().strip('"').strip().lower() for c in text.split(found)]
                        header = [i for i, cell in enumerate(cells) if cell in HEADER_WORDS]
                        if header or not any("." in cell for cell in cells):
                            column = header[0] if header else 0
                            summary.blank_or_comment += 1  # the header row
                            continue
                        column = 0
                if mode == "csv":
                    if '"' in text:
                        try:
                            cells = next(csv.reader([text], delimiter=delimiter))
                        except csv.Error as exc:
                            # e.g. a lone carriage return in an unquoted field
                            summary.add_invalid(file, number, text, f"not valid CSV: {exc}")
                            continue
                    else:
                        cells = text.split(delimiter)
                    if column >= len(cells):
                        summary.add_invalid(
                            file, number, text, f"the row has no column {column + 1} (the name)"
                        )
                        continue
                    candidate = cells[column]
                else:
                    candidate = text
                try:
                    name = normalize(candidate)
                except InputError as exc:
                    summary.add_invalid(file, number, text, exc.problem)
                    continue
                if name.count(".") < min_dots:
                    reason = (
                        "the root is not a domain name"
                        if not name
                        else f"{name!r} has fewer than {self._min_labels} labels:"
                        " a top-level domain is not a campaign target"
                    )
                    summary.add_invalid(file, number, text, reason)
                    continue
                if name in seen:
                    summary.duplicates += 1
                    continue
                add_seen(name)
                summary.valid += 1
                yield NameLine(name, number, file)


def open_names(
    stream: IO[bytes] | BinaryIO,
    *,
    filename: str,
    max_bytes: int | None,
    max_invalid: int = 1000,
    min_labels: int = 2,
    seen: set[str] | None = None,
    encoding: str | None = None,
) -> NameList:
    """The valid, unique, normalised names of an uploaded list, streamed (see module doc).

    `filename` names the upload in messages; `max_bytes` bounds the decompressed content
    (None: no bound, only for trusted input). Names with fewer than `min_labels` labels
    (a TLD alone, by default) are reported invalid. Iterating raises InputError for a
    damaged archive or a content over `max_bytes`; bad lines do not raise, they are in
    `.summary.invalid`.
    """
    return NameList(
        stream,
        filename=filename,
        max_bytes=max_bytes,
        max_invalid=max_invalid,
        min_labels=min_labels,
        seen=seen,
        encoding=encoding,
    )


def _codec(name: str | None) -> str | None:
    """A codec the user named, checked now (InputError naming it when unknown)."""
    if not name:
        return None
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(
            f"unknown text encoding {name!r}",
            location=Location(field="encoding"),
            hint="e.g. cp1252, latin-1, iso-8859-15",
        ) from None


def read_names(
    stream: IO[bytes] | BinaryIO,
    *,
    filename: str,
    max_bytes: int | None,
    max_invalid: int = 1000,
    min_labels: int = 2,
    encoding: str | None = None,
) -> tuple[list[str], IngestSummary]:
    """All valid unique names of an upload in first-seen order, and the summary."""
    names = open_names(
        stream,
        filename=filename,
        max_bytes=max_bytes,
        max_invalid=max_invalid,
        min_labels=min_labels,
        encoding=encoding,
    )
    found = [item.name for item in names]
    return found, names.summary


def split_by_tld(names: Iterable[str]) -> dict[str, list[str]]:
    """Normalised names grouped by top-level label, TLDs sorted, names in input order.

    The TLD decides the registry a slice goes to (one registry may run several TLDs:
    group the result further with the directory).
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        tld = tld_of(name)
        bucket = groups.get(tld)
        if bucket is None:
            groups[tld] = [name]
        else:
            bucket.append(name)
    return {tld: groups[tld] for tld in sorted(groups)}
