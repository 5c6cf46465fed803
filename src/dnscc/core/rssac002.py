"""A streaming reader of RSSAC002 daily metrics files, as the root server operators publish
them (RSSAC002 v3, v4 and v5: "RSSAC Advisory on Measurements of the Root Server System").

Each file is one YAML document of one letter, one metric and one UTC day, named
`<letter>-root-YYYYMMDD-<metric>.yaml` (zone-size comes from the Root Zone Maintainer as
`rzm-YYYYMMDD-zone-size.yaml`, service `root-servers.net`):

    ---
    version: rssac002v4
    service: a.root-servers.net
    start-period: '2024-06-01T00:00:00Z'
    metric: traffic-volume
    dns-udp-queries-received-ipv4: 6232483410
    ...

The files use a small part of YAML (block mappings of scalars, two levels deep), so this
reads that part itself: at most MAX_FILE_BYTES of a file (a larger one is refused unread
beyond that), lines bounded by MAX_LINE_BYTES, every problem reported with its file and
line, and about four times faster than PyYAML's C loader (decision 0011: a fast path for
the common shape, a careful line-by-line path for the rest, both checked to agree).
Anything outside that part (lists, anchors, flow collections other than `{}`,
tabs in indentation, several documents) is an InputError naming the line.

What the published files really contain, and how each is read (a `Note` says so):
- the service written in another form (`A.ROOT-SERVERS.NET.`, `a-root`, `a.root-servers.org`);
- header and data keys in any order, quoted or not, indented by any number of spaces;
- keys missing on some days (a note names them); keys outside the specification (b-root's
  `b-dns-tls-*`: kept apart as extras);
- c-root's empty `rcodes:` followed by the counts at the top level;
- empty or non-numeric values (left out, with a note).

What is refused (InputError, the file is not read): a name and a content that disagree on
letter, day or metric; negative or absurd counts; traffic-size buckets that overlap or are
not RSSAC002's 16-byte buckets; a file or line over the size bounds; malformed YAML.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from dnscc.core.errors import InputError, Location

__all__ = [
    "HISTOGRAMS",
    "LETTERS",
    "METRICS",
    "TRAFFIC_VOLUME_KEYS",
    "UNIQUE_SOURCES_KEYS",
    "Histogram",
    "Note",
    "Rssac002File",
    "name_info",
    "parse",
    "parse_bytes",
]

LETTERS = "abcdefghijklm"
METRICS = (
    "load-time",
    "zone-size",
    "traffic-volume",
    "traffic-sizes",
    "rcode-volume",
    "unique-sources",
)
TRAFFIC_VOLUME_KEYS = (
    "dns-udp-queries-received-ipv4",
    "dns-udp-queries-received-ipv6",
    "dns-tcp-queries-received-ipv4",
    "dns-tcp-queries-received-ipv6",
    "dns-udp-responses-sent-ipv4",
    "dns-udp-responses-sent-ipv6",
    "dns-tcp-responses-sent-ipv4",
    "dns-tcp-responses-sent-ipv6",
)
UNIQUE_SOURCES_KEYS = ("num-sources-ipv4", "num-sources-ipv6", "num-sources-ipv6-aggregate")
HISTOGRAMS = ("udp-request-sizes", "udp-response-sizes", "tcp-request-sizes", "tcp-response-sizes")
HEADER_KEYS = ("version", "service", "start-period", "end-period", "metric")
KNOWN_VERSIONS = (3, 4, 5)

# Bounds. Published files are under 10 KB; a day's counter of one letter is about 10^10.
MAX_FILE_BYTES = 1 << 20
MAX_LINE_BYTES = 4096
MAX_COUNT = 10**13  # per day: about 116 million per second, a hundred times the whole system
MAX_IPV4_SOURCES = 1 << 32  # there are no more IPv4 addresses than that
MAX_LOAD_SECONDS = 7 * 86400
MAX_ZONE_BYTES = 10**10
BUCKET_WIDTH = 16

_NAME = re.compile(
    r"(?:(?P<letter>[a-m])-root|(?P<rzm>rzm))-(?P<day>\d{8})-(?P<metric>[a-z-]+)\.ya?ml",
    re.IGNORECASE,
)
_SERVICE = re.compile(
    r"(?:(?P<letter>[a-m])(?:[.-]?root(?:[.-]servers?)?(?:\.(?:net|org))?)?|"
    r"(?P<rzm>root-servers\.net|rzm))\.?",
    re.IGNORECASE,
)
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BUCKET = re.compile(r"(\d+)-(\d*)")
_NULLS = {"", "~", "null", "Null", "NULL"}


@dataclass(frozen=True, slots=True)
class Note:
    """Something irregular the reader met and how it read it (not an error)."""

    line: int | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text}


@dataclass(frozen=True, slots=True)
class Histogram:
    """A size distribution on RSSAC002's 16-byte buckets: `counts[i]` is the number of
    messages of `i*16` to `i*16+15` bytes; `open_count` those of `open_from` bytes or more
    (the open-ended last bucket, e.g. `288-`), when the letter publishes one."""

    counts: tuple[int, ...]
    open_from: int | None = None
    open_count: int = 0

    def __post_init__(self) -> None:
        if (self.counts and min(self.counts) < 0) or self.open_count < 0:
            raise ValueError("a histogram count cannot be negative")
        if self.open_from is not None and self.open_from != len(self.counts) * BUCKET_WIDTH:
            raise ValueError("the open bucket must follow the last bounded bucket")

    @property
    def total(self) -> int:
        return sum(self.counts) + self.open_count

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": list(self.counts),
            "open_from": self.open_from,
            "open_count": self.open_count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Histogram:
        return cls(tuple(data["counts"]), data.get("open_from"), data.get("open_count", 0))


@dataclass(frozen=True)
class Rssac002File:
    """One published file, read. `values` is JSON-ready and depends on the metric:

    traffic-volume   {key: count} for the keys of TRAFFIC_VOLUME_KEYS present; extras apart
    rcode-volume     {"0": count, "3": count, ...} (RCODE as text)
    traffic-sizes    {histogram name: Histogram.as_dict()}
    load-time        {"2024060100": seconds, ...} (serial as text)
    zone-size        {"2024060100": bytes, ...}
    unique-sources   {key: count} for the keys of UNIQUE_SOURCES_KEYS present
    """

    letter: str  # "a".."m"; "" for the Root Zone Maintainer (zone-size)
    service: str
    metric: str
    day: date
    version: int
    values: Mapping[str, Any]
    extras: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    sha256: str = ""
    size: int = 0
    source: str = ""

    @property
    def who(self) -> str:
        return f"{self.letter}-root" if self.letter else "rzm"


def name_info(name: str) -> tuple[str, date, str] | None:
    """(letter, day, metric) from a published file name (its last path component), or None
    when the name is not of the published form. The RZM's letter is ""."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    m = _NAME.fullmatch(base)
    if m is None:
        return None
    try:
        digits = m["day"]  # eight digits (the pattern); strptime cost 15 % of a small file
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    letter = "" if m["rzm"] else m["letter"].lower()
    return letter, day, m["metric"].lower()


# --- the YAML part ------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    value: str | None  # a scalar (None: empty) ...
    line: int
    children: dict[str, _Node] | None = None  # ... or a mapping
    indent: int = 0  # the indentation of the mapping's keys
    block: str | None = None  # a histogram's lines, unread (the fast path, see _fast_tree)


_EMPTY_MAP = "\x00{}"


def _unquote(text: str, where: Location) -> str:
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        inner = text[1:-1]
        if "\\" in inner:
            try:
                return inner.encode("latin-1", "backslashreplace").decode("unicode_escape")
            except UnicodeDecodeError:
                raise InputError("bad escape in a quoted string", location=where) from None
        return inner
    if text[:1] in ("'", '"'):
        raise InputError(f"unterminated quoted string {text[:40]!r}", location=where)
    return text


def _split_key(text: str, where: Location) -> tuple[str, str]:
    """`key: value` -> (key, value text), with quoted keys; the value may be empty."""
    if text[0] in ("'", '"'):
        q = text[0]
        i = 1
        while True:
            j = text.find(q, i)
            if j < 0:
                raise InputError("unterminated quoted key", location=where)
            if q == "'" and text[j + 1 : j + 2] == "'":
                i = j + 2
                continue
            break
        key = _unquote(text[: j + 1], where)
        rest = text[j + 1 :].lstrip(" ")
        if not rest.startswith(":") or rest[1:2] not in ("", " "):
            raise InputError("a quoted key must be followed by ': '", location=where)
        return key, rest[1:]
    i = text.find(": ")
    if i < 0:
        if text.endswith(":"):
            return text[:-1].rstrip(), ""
        raise InputError(
            f"expected 'key: value', got {text[:60]!r}",
            location=where,
            hint="RSSAC002 files are YAML mappings of 'key: value' lines",
        )
    return text[:i].rstrip(), text[i + 1 :]


def _scalar(raw: str, where: Location) -> str | None:
    """The value of a `key: value` line: text, None (empty) or _EMPTY_MAP (`{}`)."""
    text = raw.strip()
    if text.startswith("#"):
        text = ""
    elif text[:1] not in ("'", '"'):
        cut = text.find(" #")  # a plain scalar ends at a comment
        if cut >= 0:
            text = text[:cut].rstrip()
    else:
        q = text[0]
        end = text.find(q, 1)
        while q == "'" and end >= 0 and text[end + 1 : end + 2] == "'":
            end = text.find(q, end + 2)
        after = text[end + 1 :].strip() if end >= 0 else ""
        if after and not after.startswith("#"):
            raise InputError(f"text after a quoted value: {text[:60]!r}", location=where)
        if end >= 0:
            text = text[: end + 1]
    if text in _NULLS:
        return None
    if text == "{}":
        return _EMPTY_MAP
    if text[:1] in ("[", "{", "&", "*", "!", "|", ">", "@", "`", "%") or text.startswith("- "):
        raise InputError(
            f"YAML construct not used by RSSAC002: {text[:40]!r}",
            location=where,
            hint="RSSAC002 values are plain numbers or strings",
        )
    return _unquote(text, where)


_LONG_LINE = re.compile(rb"[^\n]{%d}" % (MAX_LINE_BYTES + 1))


def _read_text(stream: IO[bytes], name: str, max_bytes: int) -> tuple[str, str, int]:
    """(text, SHA-256, size) of one file, read at most `max_bytes` + 1 bytes far: a larger
    file is refused without reading it further (memory stays bounded)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(
            f"file larger than {max_bytes:,} bytes: not an RSSAC002 daily file",
            location=Location(file=name, line=data.count(b"\n", 0, max_bytes) + 1),
            hint="published files are a few kilobytes; check the source",
        )
    if len(data) > MAX_LINE_BYTES:
        long = _LONG_LINE.search(data)
        if long is not None:
            raise InputError(
                f"line longer than {MAX_LINE_BYTES:,} bytes",
                location=Location(file=name, line=data.count(b"\n", 0, long.start()) + 1),
            )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "not UTF-8 text",
            location=Location(file=name, line=data.count(b"\n", 0, exc.start) + 1),
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(
            "NUL byte: not a text file",
            location=Location(file=name, line=text.count("\n", 0, nul) + 1),
        )
    return text, hashlib.sha256(data).hexdigest(), len(data)


# The fast path. Nearly every published file is `---`, then top-level `key: value` or
# `key:` lines, each `key:` followed by its indented `key: value` lines, without comments,
# blank lines or other YAML. Such a file is cut at its top-level lines in C (one split),
# and a traffic-sizes histogram is read without a Python step per line (_fast_histogram).
# Anything else, and anything the fast path finds wrong, takes the careful path
# (_read_tree, _Reader), which reads the rest of the format and names the line of every
# problem; both give the same result (tests/core/test_rssac002.py checks it).


class _NotSimple(Exception):
    """The fast path declines: the careful path reads the file."""


_TOP_SPLIT = re.compile(r"\n(?=[^ \n])")
_FAST_REFUSE = ("\t", "#", "\n\n", "\n\r\n", "\\", "\x00", "\n- ", "\n...")
# The same, as one scan of the text (a search per string cost a tenth of a small file's time).
_FAST_REFUSE_RE = re.compile("|".join(re.escape(bad) for bad in _FAST_REFUSE))
_PLAIN_START = frozenset("[]{}&*!|>%@`-?,:#'\" \t")
_HIST_CHARS = str.maketrans("", "", "0123456789 -:\r\n")
_QUOTED_NUMBER = re.compile(r"'[0-9-]*'|\"[0-9-]*\"")
_OPEN = 10**30  # stands for the missing end of an open bucket ("288-")


def _fast_scalar(raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    q = text[0]
    if q in ("'", '"'):
        if len(text) < 2 or text[-1] != q or q in text[1:-1]:
            raise _NotSimple
        return text[1:-1]
    if q in _PLAIN_START or text in _NULLS:
        raise _NotSimple
    return text


def _fast_tree(text: str) -> dict[str, _Node]:
    """The tree of a file of the common shape; _NotSimple otherwise."""
    if _FAST_REFUSE_RE.search(text):
        raise _NotSimple
    body, line = text, 1
    if body.startswith("---"):
        head, _, body = body.partition("\n")
        if head.rstrip("\r") != "---":
            raise _NotSimple
        line = 2
    top: dict[str, _Node] = {}
    for chunk in _TOP_SPLIT.split(body):
        head, _, block = chunk.partition("\n")
        key, sep, value = head.partition(":")
        if not sep or not key or key != key.rstrip():
            raise _NotSimple
        if key[0] in ("'", '"'):
            key = _fast_scalar(key) or ""
        elif key[0] in _PLAIN_START:
            raise _NotSimple
        if not key or key in top:
            raise _NotSimple
        if value and value[0] not in " \r":
            raise _NotSimple
        node = _Node(_fast_scalar(value), line)
        top[key] = node
        if block.strip():
            if node.value is not None:
                raise _NotSimple
            node.indent = len(block) - len(block.lstrip(" "))
            if key in HISTOGRAMS:
                node.block = block
            else:
                node.children = _fast_block(block, node.indent, line + 1)
        line += chunk.count("\n") + 1
    if not top:
        raise _NotSimple
    return top


def _fast_block(block: str, indent: int, line: int) -> dict[str, _Node]:
    out: dict[str, _Node] = {}
    for row in block.split("\n"):
        if not row.strip():
            continue
        if len(row) - len(row.lstrip(" ")) != indent:
            raise _NotSimple
        key, sep, value = row.strip().partition(":")
        if not sep or not key or value[:1] not in (" ", ""):
            raise _NotSimple
        if key[0] in ("'", '"'):
            key = _fast_scalar(key) or ""
        elif key[0] in _PLAIN_START:
            raise _NotSimple
        if key in out or not key or (v := _fast_scalar(value)) is None:
            raise _NotSimple
        out[key] = _Node(v, line)
        line += 1
    return out


def _fast_histogram(
    block: str, reader: _Reader | None = None, key: str = "", line: int = 0
) -> Histogram:
    """A histogram from its `  LOW-HIGH: COUNT` lines (the block under `key`, on `line`), the
    numbers converted and checked in C on whole lists, without a Python step per bucket in
    the common case; every check the careful path makes (_NotSimple when one fails). Buckets
    above the open bucket (f-root) are left out with the careful path's note."""
    text = block
    if "'" in text or '"' in text:
        # Quoted keys or counts ('16-31': '5'); any other quote is the careful path's.
        text = _QUOTED_NUMBER.sub(lambda m: m[0][1:-1], text)
        if "'" in text or '"' in text:
            raise _NotSimple
    rows = text.count("\n") + (not text.endswith("\n"))
    if text.count(":") != rows or text.count("-") != rows or text.translate(_HIST_CHARS):
        raise _NotSimple
    text = text.replace("-:", f" {_OPEN} ").replace("-", " ").replace(":", " ")
    try:
        nums = list(map(int, text.split()))
    except ValueError:
        raise _NotSimple from None
    if len(nums) != 3 * rows:
        raise _NotSimple
    los, his, counts = nums[0::3], nums[1::3], nums[2::3]
    if max(counts) > MAX_COUNT or len(set(los)) != rows:
        raise _NotSimple
    open_from = None
    open_count = 0
    opens = his.count(_OPEN)
    if opens:
        if opens > 1:
            raise _NotSimple
        i = his.index(_OPEN)
        open_from, open_count = los[i], counts[i]
        del los[i], his[i], counts[i]
        if open_from % BUCKET_WIDTH:
            raise _NotSimple
        if los and max(los) >= open_from:
            above = [k for k, lo in enumerate(los) if lo >= open_from]
            if reader is None or any(his[k] < los[k] for k in above):
                raise _NotSimple
            first = above[0] + (above[0] >= i)  # its row in the block, the open one counted
            reader.note(
                line + 1 + first,
                f"{key}: {len(above)} bucket(s) above the open bucket {open_from}- "
                "left out (the open bucket counts those sizes)",
            )
            for k in reversed(above):
                del los[k], his[k], counts[k]
    n = len(los)
    if (
        sum(map(operator.and_, los, itertools.repeat(15, n)))
        or list(map(operator.sub, his, los)) != [15] * n
    ):
        raise _NotSimple
    size = open_from // BUCKET_WIDTH if open_from is not None else max(los, default=-16) // 16 + 1
    start = los[0] if n else 0
    if los == list(range(start, start + BUCKET_WIDTH * n, BUCKET_WIDTH)):
        # In order and without gaps (nearly every file): the counts are the array.
        array = [0] * (start >> 4) + counts
        array += [0] * (size - len(array))
    else:
        array = [0] * size
        for lo, count in zip(los, counts, strict=True):
            array[lo >> 4] = count
    return Histogram(tuple(array), open_from, open_count)


def _read_tree(lines: Iterable[tuple[int, str]], name: str) -> dict[str, _Node]:
    """The document as nested mappings of _Node, keys unquoted, lines kept."""
    root = _Node(None, 0, {}, 0)
    stack = [root]
    pending: tuple[int, _Node] | None = None  # a `key:` whose block may follow
    started = ended = content = False
    for lineno, line in lines:
        where = Location(file=name, line=lineno)
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if ended:
            raise InputError("content after the end of the document ('...')", location=where)
        if line.startswith("%"):
            if content or started:
                raise InputError("a YAML directive inside the document", location=where)
            continue
        if line == "---" or line.startswith(("--- ", "---\t")):
            if started or content:
                raise InputError(
                    "a second YAML document in one file",
                    location=where,
                    hint="one RSSAC002 file holds one document",
                )
            started = True
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                raise InputError("content on the '---' line", location=where)
            continue
        if line == "...":
            ended = True
            continue
        indent = len(line) - len(line.lstrip(" "))
        if line[indent : indent + 1] == "\t":
            raise InputError("tab in indentation (YAML forbids it)", location=where)
        if stripped.startswith("- ") or stripped == "-":
            raise InputError("a YAML list: RSSAC002 files hold mappings only", location=where)
        content = True
        key, rest = _split_key(stripped, where)
        if not key:
            raise InputError("empty key", location=where)
        if pending is not None:
            opener_indent, opener = pending
            pending = None
            if indent > opener_indent:
                opener.children, opener.indent = {}, indent
                stack.append(opener)
        while indent < stack[-1].indent:
            stack.pop()
        parent = stack[-1]
        if indent != parent.indent:
            raise InputError(
                "bad indentation: this line belongs to no mapping",
                location=where,
                hint="keys of one mapping line up under each other",
            )
        siblings = parent.children
        assert siblings is not None  # every node on the stack is a mapping
        if key in siblings:
            raise InputError(
                f"key {key!r} repeated (first on line {siblings[key].line})",
                location=where,
                hint="a YAML mapping holds each key once",
            )
        value = _scalar(rest, where)
        node = _Node(value, lineno)
        if value == _EMPTY_MAP:
            node.value, node.children = None, {}
        elif value is None:
            pending = (indent, node)
        siblings[key] = node
    return root.children or {}


# --- the metrics --------------------------------------------------------------------------


class _Reader:
    """Turns the tree into checked values, collecting notes."""

    def __init__(self, name: str, *, fast: bool = False) -> None:
        self.name = name
        self.fast = fast
        self.notes: list[Note] = []

    def at(self, line: int | None, key: str | None = None) -> Location:
        return Location(file=self.name, line=line, field=key)

    def note(self, line: int | None, text: str) -> None:
        self.notes.append(Note(line, text))

    def number(
        self, key: str, node: _Node, *, limit: int, what: str = "count", whole: bool = True
    ) -> int | float | None:
        """A non-negative number, or None (with a note) when empty or not a number."""
        if node.children is not None:
            self.note(node.line, f"{key}: a mapping where a {what} belongs: left out")
            return None
        raw = node.value
        if raw is None:
            self.note(node.line, f"{key}: no value: left out")
            return None
        if raw.isdigit():  # the common case: no sign, no decimals
            n = int(raw)
            if n <= limit:
                return n
        text = raw.strip().replace("_", "")
        value: int | float
        if _INT.fullmatch(text):
            value = int(text)
        elif _FLOAT.fullmatch(text):
            f = float(text)
            if whole and f != int(f):
                self.note(node.line, f"{key}: {raw!r} is not a whole number: left out")
                return None
            value = int(f) if whole else f
        else:
            self.note(node.line, f"{key}: malformed value {raw[:40]!r}: left out")
            return None
        if value < 0:
            raise InputError(
                f"negative {what} {raw} for {key}",
                location=self.at(node.line, key),
                hint="a counter cannot go below zero: the file is damaged",
            )
        if value > limit:
            raise InputError(
                f"absurd {what} {raw} for {key} (more than {limit:,})",
                location=self.at(node.line, key),
                hint="no root server letter sees that much in a day: the file is damaged",
            )
        return value

    def counts(self, tree: Mapping[str, _Node], keys: Iterable[str], limit: int) -> dict[str, int]:
        out: dict[str, int] = {}
        missing = []
        for key in keys:
            node = tree.get(key)
            if node is None:
                missing.append(key)
                continue
            value = self.number(key, node, limit=limit)
            if value is not None:
                out[key] = int(value)
        if missing:
            self.note(None, f"keys missing: {', '.join(missing)}")
        return out

    def serial_map(
        self, key: str, node: _Node | None, *, limit: int, whole: bool
    ) -> dict[str, Any]:
        if node is None:
            self.note(None, f"no {key!r} key: no values that day")
            return {}
        if node.children is None:
            self.note(node.line, f"{key!r} is empty: no values that day")
            return {}
        out: dict[str, Any] = {}
        for serial, child in node.children.items():
            if not _INT.fullmatch(serial.strip()) or not 0 <= int(serial) < 1 << 32:
                self.note(child.line, f"{serial!r} is not a SOA serial: left out")
                continue
            what = "load time (seconds)" if key == "time" else "zone size (bytes)"
            value = self.number(f"{key}/{serial}", child, limit=limit, what=what, whole=whole)
            if value is not None:
                out[str(int(serial))] = value
        return out

    def histogram(self, key: str, node: _Node) -> Histogram | None:
        if node.block is not None:
            return _fast_histogram(node.block, self, key, node.line)
        if node.children is None:
            self.note(node.line, f"{key!r} is empty: left out")
            return None
        buckets: list[tuple[int, int | None, int, int]] = []  # lo, hi, count, line
        for label, child in node.children.items():
            m = _BUCKET.fullmatch(label.strip())
            if m is None:
                raise InputError(
                    f"{label!r} is not a size bucket (LOW-HIGH or LOW-)",
                    location=self.at(child.line, key),
                )
            lo, hi = int(m[1]), int(m[2]) if m[2] else None
            if hi is not None and hi < lo:
                raise InputError(
                    f"bucket {label} ends before it starts", location=self.at(child.line, key)
                )
            try:  # the common case, without the detour through `number`
                value: int | float | None = int(child.value)  # type: ignore[arg-type]
                if not 0 <= value <= MAX_COUNT:  # type: ignore[operator]
                    raise ValueError
            except (TypeError, ValueError):
                value = self.number(f"{key}/{label}", child, limit=MAX_COUNT)
            buckets.append((lo, hi, int(value or 0), child.line))
        opens = [b for b in buckets if b[1] is None]
        if len(opens) > 1:
            raise InputError(
                f"two open-ended buckets ({opens[0][0]}- and {opens[1][0]}-)",
                location=self.at(opens[1][3], key),
                hint="each message size belongs to exactly one bucket",
            )
        if opens:
            # Seen in real files (f-root, 2024): buckets above the open one (4096- with
            # 7968-7983 ...). The open bucket counts every size from its start on.
            above = [b for b in buckets if b[1] is not None and b[0] >= opens[0][0]]
            if above:
                self.note(
                    above[0][3],
                    f"{key}: {len(above)} bucket(s) above the open bucket {opens[0][0]}- "
                    "left out (the open bucket counts those sizes)",
                )
                buckets = [b for b in buckets if b not in above]
        buckets.sort(key=lambda b: (b[0], b[1] if b[1] is not None else 1 << 62))
        for (lo1, hi1, _, line1), (lo2, _hi2, _, line2) in itertools.pairwise(buckets):
            if hi1 is None or lo2 <= hi1:
                label1 = f"{lo1}-{'' if hi1 is None else hi1}"
                raise InputError(
                    f"buckets overlap: {label1} (line {line1}) and the one starting at {lo2}",
                    location=self.at(line2, key),
                    hint="each message size belongs to exactly one bucket",
                )
        counts: list[int] = []
        open_from = None
        open_count = 0
        for lo, hi, count, line in buckets:
            if hi is None:
                if lo % BUCKET_WIDTH:
                    raise InputError(
                        f"open bucket {lo}- does not start on a 16-byte boundary",
                        location=self.at(line, key),
                    )
                counts.extend([0] * (lo // BUCKET_WIDTH - len(counts)))
                open_from, open_count = lo, count
                continue
            if lo % BUCKET_WIDTH or hi - lo != BUCKET_WIDTH - 1:
                raise InputError(
                    f"bucket {lo}-{hi} is not one of RSSAC002's 16-byte buckets",
                    location=self.at(line, key),
                    hint="RSSAC002 counts sizes in buckets 0-15, 16-31, 32-47, ...",
                )
            index = lo // BUCKET_WIDTH
            counts.extend([0] * (index - len(counts)))
            counts.append(count)
        return Histogram(tuple(counts), open_from, open_count)


def _letter_of_service(service: str) -> str | None:
    m = _SERVICE.fullmatch(service.strip())
    if m is None:
        return None
    return "" if m["rzm"] else m["letter"].lower()


def _day_of(text: str) -> tuple[date, bool] | None:
    """The day of a start-period and whether it is midnight UTC."""
    t = text.strip()
    try:
        at = datetime.fromisoformat(t.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(t[:10]), False
        except ValueError:
            return None
    midnight = (at.hour, at.minute, at.second) == (0, 0, 0)
    utc = at.utcoffset() is None or at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    return at.date(), midnight and utc


def parse(
    stream: IO[bytes], *, name: str, source: str = "", max_bytes: int = MAX_FILE_BYTES
) -> Rssac002File:
    """Read one RSSAC002 file from a binary stream. `name` is its published file name
    (or path): when it has the published form, letter, day and metric must agree with the
    content. InputError (with file and line) when the file cannot be read as RSSAC002."""
    text, sha256, size = _read_text(stream, name, max_bytes)
    try:
        return _read(_fast_tree(text), name, sha256, size, source, fast=True)
    except _NotSimple:
        lines = (line.rstrip("\r") for line in text.split("\n"))
        return _read(_read_tree(enumerate(lines, start=1), name), name, sha256, size, source)


def _read(
    tree: dict[str, _Node], name: str, sha256: str, size: int, source: str, *, fast: bool = False
) -> Rssac002File:
    r = _Reader(name, fast=fast)
    if not tree:
        raise InputError(
            "empty document: no RSSAC002 keys",
            location=Location(file=name),
            hint="check the source",
        )
    from_name = name_info(name)

    def header(key: str) -> tuple[str | None, int | None]:
        node = tree.get(key)
        if node is None:
            return None, None
        if node.children is not None:
            raise InputError(f"{key!r} must be a plain value", location=r.at(node.line, key))
        return node.value, node.line

    # version
    raw_version, vline = header("version")
    if raw_version is None:
        version = KNOWN_VERSIONS[-1]
        r.note(vline, f"no version: read as rssac002v{version}")
    else:
        m = re.fullmatch(r"rssac002v(\d+)", raw_version.strip(), re.IGNORECASE)
        if m is None:
            raise InputError(
                f"{raw_version!r} is not an RSSAC002 version (rssac002vN)",
                location=r.at(vline, "version"),
            )
        version = int(m[1])
        if version < KNOWN_VERSIONS[0]:
            raise InputError(
                f"rssac002v{version} predates RSSAC002 v3, the earliest version read",
                location=r.at(vline, "version"),
            )
        if version > KNOWN_VERSIONS[-1]:
            r.note(vline, f"rssac002v{version} is newer than v{KNOWN_VERSIONS[-1]}: read as v5")
    # metric
    raw_metric, mline = header("metric")
    metric = (raw_metric or "").strip().lower()
    if not metric:
        if from_name is None:
            raise InputError("no metric", location=r.at(None, "metric"))
        metric = from_name[2]
        r.note(None, f"no metric key: {metric} from the file name")
    if metric not in METRICS:
        raise InputError(
            f"unknown metric {raw_metric!r}",
            location=r.at(mline, "metric"),
            hint=f"RSSAC002 metrics: {', '.join(METRICS)}",
        )
    # service and letter
    raw_service, sline = header("service")
    service = (raw_service or "").strip()
    if service:
        letter = _letter_of_service(service)
        if letter is None:
            raise InputError(
                f"service {service!r} is not a root server letter",
                location=r.at(sline, "service"),
                hint="expected a.root-servers.net ... m.root-servers.net (or root-servers.net)",
            )
        canonical = f"{letter}.root-servers.net" if letter else "root-servers.net"
        if service != canonical:
            r.note(sline, f"service written {service!r}: read as {canonical}")
    elif from_name is not None:
        letter = from_name[0]
        r.note(None, "no service key: the letter is the file name's")
    else:
        raise InputError("no service", location=r.at(None, "service"))
    # day
    raw_start, pline = header("start-period")
    if raw_start is None:
        if from_name is None:
            raise InputError("no start-period", location=r.at(None, "start-period"))
        day = from_name[1]
        r.note(None, "no start-period: the day is the file name's")
    else:
        parsed = _day_of(raw_start)
        if parsed is None:
            raise InputError(
                f"start-period {raw_start!r} is not a date and time",
                location=r.at(pline, "start-period"),
                hint="expected e.g. 2024-06-01T00:00:00Z",
            )
        day, midnight = parsed
        if not midnight:
            r.note(pline, f"start-period {raw_start} is not midnight UTC: read as {day}")
    if from_name is not None:
        n_letter, n_day, n_metric = from_name
        if n_letter != letter:
            raise InputError(
                f"the file name says {n_letter or 'rzm'}-root but the service is {service!r}",
                location=r.at(sline, "service"),
                hint="the name and the content disagree: which letter is it?",
            )
        if n_day != day:
            raise InputError(
                f"the file name says {n_day} but start-period is {raw_start}",
                location=r.at(pline, "start-period"),
                hint="the name and the content disagree: which day is it?",
            )
        if n_metric != metric:
            raise InputError(
                f"the file name says {n_metric} but the metric is {metric}",
                location=r.at(mline, "metric"),
                hint="the name and the content disagree: which metric is it?",
            )
    if not letter and metric != "zone-size":
        raise InputError(
            f"{metric} is published per letter, not for {service!r}",
            location=r.at(sline, "service"),
        )
    data = {k: v for k, v in tree.items() if k not in HEADER_KEYS}
    values: dict[str, Any] = {}
    extras: dict[str, int] = {}
    if metric == "traffic-volume":
        values = r.counts(data, TRAFFIC_VOLUME_KEYS, MAX_COUNT)
        for key, node in data.items():
            if key not in TRAFFIC_VOLUME_KEYS:
                v = r.number(key, node, limit=MAX_COUNT)
                if v is not None:
                    extras[key] = int(v)
        if extras:
            r.note(None, f"keys outside the specification kept apart: {', '.join(extras)}")
    elif metric == "unique-sources":
        values = r.counts(
            {k: v for k, v in data.items() if k != "num-sources-ipv4"},
            UNIQUE_SOURCES_KEYS[1:],
            MAX_COUNT,
        )
        v4 = data.get("num-sources-ipv4")
        if v4 is None:
            r.note(None, "keys missing: num-sources-ipv4")
        else:
            n = r.number("num-sources-ipv4", v4, limit=MAX_IPV4_SOURCES)
            if n is not None:
                values = {"num-sources-ipv4": int(n), **values}
        for key in data:
            if key not in UNIQUE_SOURCES_KEYS:
                r.note(data[key].line, f"key {key!r} outside the specification: left out")
    elif metric == "rcode-volume":
        counts_tree = dict(data)
        wrapper = counts_tree.pop("rcodes", None)
        if wrapper is not None:
            if wrapper.children is not None:
                r.note(wrapper.line, "counts under an 'rcodes' key")
                counts_tree = {**wrapper.children, **counts_tree}
            else:
                r.note(wrapper.line, "empty 'rcodes:' key: counts read from the top level")
        for key, node in counts_tree.items():
            k = key.strip()
            if not _INT.fullmatch(k) or not 0 <= int(k) <= 65535:
                r.note(node.line, f"{key!r} is not an RCODE (0-65535): left out")
                continue
            v = r.number(f"rcode {k}", node, limit=MAX_COUNT)
            if v is not None:
                values[str(int(k))] = int(v)
        if not values:
            r.note(None, "no RCODE counts")
    elif metric == "load-time":
        values = r.serial_map("time", data.get("time"), limit=MAX_LOAD_SECONDS, whole=False)
        for key in data:
            if key != "time":
                r.note(data[key].line, f"key {key!r} outside the specification: left out")
    elif metric == "zone-size":
        values = r.serial_map("size", data.get("size"), limit=MAX_ZONE_BYTES, whole=True)
        for key in data:
            if key != "size":
                r.note(data[key].line, f"key {key!r} outside the specification: left out")
    else:  # traffic-sizes
        missing: list[str] = []
        for key in HISTOGRAMS:
            section = data.get(key)
            if section is None:
                missing.append(key)
                continue
            h = r.histogram(key, section)
            if h is not None:
                values[key] = h.as_dict()
        if missing:
            r.note(None, f"keys missing: {', '.join(missing)}")
        for key in data:
            if key not in HISTOGRAMS:
                r.note(data[key].line, f"key {key!r} outside the specification: left out")
    return Rssac002File(
        letter=letter,
        service=f"{letter}.root-servers.net" if letter else "root-servers.net",
        metric=metric,
        day=day,
        version=version,
        values=values,
        extras=extras,
        notes=tuple(r.notes),
        sha256=sha256,
        size=size,
        source=source or name,
    )


def parse_bytes(data: bytes, *, name: str, source: str = "") -> Rssac002File:
    """`parse` of a file already in memory (tests, small uploads)."""
    import io

    return parse(io.BytesIO(data), name=name, source=source)


def parse_many(
    items: Iterable[tuple[str, str, bytes | str]],
) -> list[Rssac002File | InputError]:
    """Read each (name, source, bytes or file path): the file read, or the InputError that
    refused it. What an ingestion's worker processes run on their share of the files."""
    out: list[Rssac002File | InputError] = []
    for name, source, data in items:
        try:
            if isinstance(data, bytes):
                out.append(parse_bytes(data, name=name, source=source))
            else:
                with open(data, "rb") as fh:
                    out.append(parse(fh, name=name, source=source))
        except InputError as exc:
            out.append(exc)
        except OSError as exc:
            out.append(InputError(f"cannot read: {exc.strerror}", location=Location(file=name)))
    return out
