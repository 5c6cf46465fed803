"""The RSSAC002 reader: the real published sample, its irregularities, bad input, and
properties checked with hypothesis (PyYAML, the field's YAML library, as the oracle)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnscc.core import rssac002 as R
from dnscc.core.errors import InputError

SAMPLE = Path(R.__file__).resolve().parent.parent / "data" / "rssac002"
FILES = sorted(SAMPLE.rglob("*.yaml"))


def _careful(data: bytes, name: str) -> R.Rssac002File:
    """The careful path alone (what the fast path must agree with)."""
    text, sha, size = R._read_text(io.BytesIO(data), name, R.MAX_FILE_BYTES)
    lines = (line.rstrip("\r") for line in text.split("\n"))
    return R._read(R._read_tree(enumerate(lines, start=1), name), name, sha, size, name)


def _doc(name: str, text: str) -> R.Rssac002File:
    return R.parse_bytes(text.encode(), name=name)


# --- the real sample --------------------------------------------------------------------


def test_the_sample_has_every_letter_and_metric() -> None:
    assert len(FILES) == 440
    seen = {(R.name_info(f.name) or ("?", None, ""))[0] for f in FILES}
    assert seen == set(R.LETTERS) | {""}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_published_file_reads_and_agrees_with_pyyaml(path: Path) -> None:
    data = path.read_bytes()
    doc = R.parse_bytes(data, name=str(path.relative_to(SAMPLE)))
    info = R.name_info(path.name)
    assert info is not None
    assert (doc.letter, doc.day, doc.metric) == info
    assert doc.size == len(data)
    oracle = yaml.safe_load(data)
    flat = {str(k): v for k, v in oracle.items()}
    if doc.metric in ("traffic-volume", "unique-sources"):
        for key, value in doc.values.items():
            assert flat[key] == value
        for key, value in doc.extras.items():
            assert flat[key] == value
    elif doc.metric == "rcode-volume":
        counts = {str(k): v for k, v in flat.items() if str(k).isdigit()}
        if isinstance(flat.get("rcodes"), dict):
            counts.update({str(k): v for k, v in flat["rcodes"].items()})
        assert dict(doc.values) == counts
    elif doc.metric in ("load-time", "zone-size"):
        inner = flat.get("time" if doc.metric == "load-time" else "size") or {}
        assert dict(doc.values) == {str(int(k)): v for k, v in inner.items()}
    else:
        for key in R.HISTOGRAMS:
            h = R.Histogram.from_dict(doc.values[key])
            published = {str(k): v for k, v in flat[key].items()}
            if h.open_from is not None:
                assert published[f"{h.open_from}-"] == h.open_count
            for i, count in enumerate(h.counts):
                assert published.get(f"{i * 16}-{i * 16 + 15}", 0) == count
    # The fast path and the careful path read the file the same.
    careful = _careful(data, str(path.relative_to(SAMPLE)))
    assert careful.values == doc.values
    assert careful.notes == doc.notes


def test_f_roots_buckets_above_its_open_bucket_are_read_by_the_fast_path_as_the_careful_one() -> (
    None
):
    path = SAMPLE / "2024/06/traffic-sizes/f-root-20240601-traffic-sizes.yaml"
    data = path.read_bytes()
    tree = R._fast_tree(data.decode())
    reader = R._Reader(path.name, fast=True)
    node = tree["tcp-response-sizes"]
    fast = R._fast_histogram(node.block or "", reader, "tcp-response-sizes", node.line)
    careful = _careful(data, path.name)
    assert fast.as_dict() == careful.values["tcp-response-sizes"]
    assert reader.notes
    assert set(reader.notes) <= set(careful.notes)
    assert "above the open bucket 4096-" in reader.notes[0].text


def test_the_irregularities_of_the_sample_are_read_and_noted() -> None:
    notes: dict[tuple[str, str], set[str]] = {}
    for path in FILES:
        doc = R.parse_bytes(path.read_bytes(), name=path.name)
        for n in doc.notes:
            notes.setdefault((doc.who, doc.metric), set()).add(n.text.split(":")[0])
    assert notes == {
        ("b-root", "traffic-volume"): {"keys outside the specification kept apart"},
        ("c-root", "rcode-volume"): {"empty 'rcodes"},
        ("e-root", "load-time"): {"no 'time' key"},
        ("f-root", "traffic-sizes"): {"tcp-response-sizes"},
    }


def test_c_root_counts_after_an_empty_rcodes_key_are_read_from_the_top_level() -> None:
    doc = R.parse_bytes(
        (SAMPLE / "2024/06/rcode-volume/c-root-20240601-rcode-volume.yaml").read_bytes(),
        name="c-root-20240601-rcode-volume.yaml",
    )
    assert doc.values["0"] == 4117518260
    assert doc.values["3"] == 2396487575


def test_b_root_tls_counts_are_kept_apart_from_the_specified_ones() -> None:
    doc = R.parse_bytes(
        (SAMPLE / "2024/06/traffic-volume/b-root-20240601-traffic-volume.yaml").read_bytes(),
        name="b-root-20240601-traffic-volume.yaml",
    )
    assert doc.version == 5
    assert set(doc.values) == set(R.TRAFFIC_VOLUME_KEYS)
    assert doc.extras["b-dns-tls-queries-received-ipv4"] == 73821346


def test_g_root_crlf_lines_read_like_any_other() -> None:
    path = SAMPLE / "2024/06/load-time/g-root-20240601-load-time.yaml"
    assert b"\r\n" in path.read_bytes()
    doc = R.parse_bytes(path.read_bytes(), name=path.name)
    assert doc.values == {"2024060100": doc.values["2024060100"], **doc.values}
    assert "2024060102" in doc.values


def test_the_root_zone_maintainer_publishes_zone_size_for_the_system() -> None:
    path = SAMPLE / "2024/06/zone-size/rzm-20240601-zone-size.yaml"
    doc = R.parse_bytes(path.read_bytes(), name=path.name)
    assert (doc.letter, doc.service, doc.values["2024060100"]) == ("", "root-servers.net", 1330310)


# --- the names ----------------------------------------------------------------------------


def test_a_published_name_gives_letter_day_and_metric() -> None:
    assert R.name_info("2024/06/load-time/K-root-20240601-load-time.yaml") == (
        "k",
        date(2024, 6, 1),
        "load-time",
    )
    assert R.name_info("rzm-20240602-zone-size.yaml") == ("", date(2024, 6, 2), "zone-size")
    assert R.name_info("n-root-20240601-load-time.yaml") is None
    assert R.name_info("a-root-20240231-load-time.yaml") is None
    assert R.name_info("notes.txt") is None


HEAD = "---\nversion: rssac002v4\nservice: {service}\nstart-period: {start}\nmetric: {metric}\n"


def _text(metric: str, body: str, *, service: str = "a.root-servers.net", start: str = "") -> str:
    start = start or "2024-06-01T00:00:00Z"
    return HEAD.format(service=service, start=start, metric=metric) + body


@pytest.mark.parametrize(
    "service",
    ["a.root-servers.net.", "A.ROOT-SERVERS.NET", "a-root", "a.root-servers.org", "A"],
)
def test_another_spelling_of_the_service_reads_as_the_letter_with_a_note(service: str) -> None:
    doc = _doc(
        "a-root-20240601-unique-sources.yaml",
        _text("unique-sources", "num-sources-ipv4: 5\n", service=service),
    )
    assert doc.service == "a.root-servers.net"
    assert any("service written" in n.text for n in doc.notes)


# --- bad input: each refused with file and line ---------------------------------------------


def _refused(name: str, text: str | bytes) -> InputError:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        R.parse_bytes(data, name=name)
    assert info.value.location.file == name
    return info.value


def test_a_file_whose_name_says_another_letter_is_refused_at_the_service_line() -> None:
    exc = _refused(
        "b-root-20240601-unique-sources.yaml", _text("unique-sources", "num-sources-ipv4: 1\n")
    )
    assert exc.location.line == 3
    assert "b-root" in exc.message


def test_a_file_whose_name_says_another_day_is_refused_at_the_start_period_line() -> None:
    exc = _refused(
        "a-root-20240602-unique-sources.yaml", _text("unique-sources", "num-sources-ipv4: 1\n")
    )
    assert exc.location.line == 4
    assert "2024-06-02" in exc.message


def test_a_file_whose_name_says_another_metric_is_refused_at_the_metric_line() -> None:
    exc = _refused(
        "a-root-20240601-load-time.yaml", _text("unique-sources", "num-sources-ipv4: 1\n")
    )
    assert exc.location.line == 5


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("dns-udp-queries-received-ipv4: -5\n", 6, "negative"),
        ("dns-udp-queries-received-ipv4: 99999999999999999\n", 6, "absurd"),
        ("dns-udp-queries-received-ipv4: 1\ndns-udp-queries-received-ipv4: 2\n", 7, "repeated"),
        ("dns-udp-queries-received-ipv4: 1\n\tx: 2\n", 7, "tab"),
        ("- 1\n", 6, "list"),
        ("dns-udp-queries-received-ipv4: [1, 2]\n", 6, "construct"),
        ("dns-udp-queries-received-ipv4 1\n", 6, "key: value"),
        ("x: 1\n---\ny: 2\n", 7, "second YAML document"),
        ("dns-udp-queries-received-ipv4: '12\n", 6, "unterminated"),
        ("  indented: 1\n", 6, "indentation"),
    ],
)
def test_malformed_content_is_refused_at_its_line(body: str, line: int, words: str) -> None:
    exc = _refused("a-root-20240601-traffic-volume.yaml", _text("traffic-volume", body))
    assert exc.location.line == line
    assert words in exc.message


def test_overlapping_traffic_size_buckets_are_refused_at_the_second_one() -> None:
    body = "udp-request-sizes:\n  16-31: 5\n  32-47: 6\n  40-55: 7\n"
    exc = _refused("a-root-20240601-traffic-sizes.yaml", _text("traffic-sizes", body))
    assert exc.location.line == 9
    assert "overlap" in exc.message


def test_buckets_off_the_16_byte_grid_are_refused() -> None:
    body = "udp-request-sizes:\n  16-40: 5\n"
    exc = _refused("a-root-20240601-traffic-sizes.yaml", _text("traffic-sizes", body))
    assert exc.location.line == 7
    assert "16-byte" in exc.message


def test_more_ipv4_sources_than_there_are_addresses_is_absurd() -> None:
    exc = _refused(
        "a-root-20240601-unique-sources.yaml",
        _text("unique-sources", f"num-sources-ipv4: {2**32 + 1}\n"),
    )
    assert "absurd" in exc.message


class _Endless(io.RawIOBase):
    """A 'file' of a gigabyte that never exists in memory: counts what is read of it."""

    def __init__(self, size: int, line: bytes = b"x: 1\n") -> None:
        self.left = size
        self.line = line
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        chunk = (self.line * (n // len(self.line) + 1))[:n]
        buffer[:n] = chunk
        self.left -= n
        self.served += n
        return n


def test_a_gigabyte_file_is_refused_after_reading_little_more_than_the_bound() -> None:
    stream = _Endless(1 << 30)
    with pytest.raises(InputError) as info:
        R.parse(io.BufferedReader(stream), name="a-root-20240601-load-time.yaml")
    assert "larger than" in info.value.message
    assert info.value.location.line
    assert info.value.location.line > 1000
    assert stream.served < 2 * R.MAX_FILE_BYTES


def test_a_line_without_end_is_refused() -> None:
    exc = _refused("a-root-20240601-load-time.yaml", b"---\n" + b"x" * 10_000)
    assert exc.location.line == 2
    assert "line longer" in exc.message


def test_bytes_that_are_not_utf8_are_refused_at_their_line() -> None:
    exc = _refused("a-root-20240601-load-time.yaml", b"---\nversion: rssac002v4\nservice: \xff\n")
    assert exc.location.line == 3


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("---\n", "empty"),
        ("version: rssac002v2\nmetric: load-time\n", "predates"),
        ("version: v4\n", "not an RSSAC002 version"),
        ("service: ns.example\nmetric: load-time\n", "not a root server letter"),
        ("metric: query-rate\n", "unknown metric"),
    ],
)
def test_documents_that_are_not_rssac002_are_refused(text: str, words: str) -> None:
    exc = _refused("a-root-20240601-load-time.yaml", text)
    assert words in exc.message


def test_a_file_named_otherwise_must_say_what_it_is() -> None:
    exc = _refused("upload.yaml", "version: rssac002v4\nmetric: load-time\n")
    assert "no service" in exc.message
    doc = _doc("upload.yaml", _text("load-time", "time:\n  2024060100: 7\n"))
    assert (doc.letter, doc.day, doc.values) == ("a", date(2024, 6, 1), {"2024060100": 7})


# --- tolerated irregularities ----------------------------------------------------------------


def test_missing_empty_and_malformed_values_are_left_out_with_a_note_each() -> None:
    body = (
        "dns-udp-queries-received-ipv4: 10\n"
        "dns-udp-queries-received-ipv6:\n"
        "dns-tcp-queries-received-ipv4: n/a\n"
        "dns-tcp-queries-received-ipv6: 12.0\n"
    )
    doc = _doc("a-root-20240601-traffic-volume.yaml", _text("traffic-volume", body))
    assert dict(doc.values) == {
        "dns-udp-queries-received-ipv4": 10,
        "dns-tcp-queries-received-ipv6": 12,
    }
    texts = [n.text for n in doc.notes]
    assert any("no value" in t for t in texts)
    assert any("malformed value" in t for t in texts)
    assert any(t.startswith("keys missing: dns-udp-responses") for t in texts)


def test_comments_blank_lines_and_a_document_end_are_read_by_the_careful_path() -> None:
    text = _text("load-time", "# measured at the primary\n\ntime:\n  2024060100: 7  # first\n...\n")
    doc = _doc("a-root-20240601-load-time.yaml", text)
    assert doc.values == {"2024060100": 7}


# --- properties -------------------------------------------------------------------------------

LETTER = st.sampled_from(R.LETTERS)
DAY = st.dates(min_value=date(2013, 1, 1), max_value=date(2030, 12, 31))
COUNT = st.integers(min_value=0, max_value=R.MAX_COUNT)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str, dict[str, object], R.Rssac002File | None]:
    """A published-style file in a random style, and the values it holds."""
    letter, day = draw(LETTER), draw(DAY)
    metric = draw(st.sampled_from(R.METRICS))
    indent = " " * draw(st.integers(1, 4))
    quote_keys = draw(st.booleans())
    quote_start = draw(st.booleans())
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    values: dict[str, object] = {}
    lines: list[str] = []

    def key(k: str) -> str:
        return f"'{k}'" if quote_keys else k

    if metric == "traffic-volume":
        for k in draw(st.lists(st.sampled_from(R.TRAFFIC_VOLUME_KEYS), unique=True, min_size=1)):
            values[k] = draw(COUNT)
            lines.append(f"{k}: {values[k]}")
    elif metric == "unique-sources":
        values["num-sources-ipv4"] = draw(st.integers(0, R.MAX_IPV4_SOURCES))
        values["num-sources-ipv6"] = draw(COUNT)
        lines += [f"{k}: {v}" for k, v in values.items()]
    elif metric == "rcode-volume":
        for code in draw(st.lists(st.integers(0, 65535), unique=True, min_size=1, max_size=20)):
            values[str(code)] = draw(COUNT)
            lines.append(f"{key(str(code))}: {values[str(code)]}")
    elif metric in ("load-time", "zone-size"):
        block = "time" if metric == "load-time" else "size"
        lines.append(f"{block}:")
        limit = R.MAX_LOAD_SECONDS if metric == "load-time" else R.MAX_ZONE_BYTES
        for serial in draw(st.lists(st.integers(0, 2**32 - 1), unique=True, min_size=1)):
            values[str(serial)] = draw(st.integers(0, limit))
            lines.append(f"{indent}{key(str(serial))}: {values[str(serial)]}")
    else:
        for name in draw(st.lists(st.sampled_from(R.HISTOGRAMS), unique=True, min_size=1)):
            n = draw(st.integers(1, 40))
            counts = draw(st.lists(COUNT, min_size=n, max_size=n))
            open_count = draw(st.none() | COUNT)
            rows = [(f"{i * 16}-{i * 16 + 15}", c) for i, c in enumerate(counts)]
            if open_count is not None:
                rows.append((f"{n * 16}-", open_count))
            rows = draw(st.permutations(rows))
            lines.append(f"{name}:")
            lines += [f"{indent}{key(label)}: {c}" for label, c in rows]
            values[name] = R.Histogram(
                tuple(counts), n * 16 if open_count is not None else None, open_count or 0
            ).as_dict()
    start = f"{day.isoformat()}T00:00:00Z"
    head = [
        "version: rssac002v" + str(draw(st.sampled_from(R.KNOWN_VERSIONS))),
        f"service: {letter}.root-servers.net",
        f"start-period: '{start}'" if quote_start else f"start-period: {start}",
        f"metric: {metric}",
    ]
    head = draw(st.permutations(head))
    body = draw(st.sampled_from([head + lines, lines + head]))
    text = newline.join(["---", *body]) + newline
    name = f"{letter}-root-{day:%Y%m%d}-{metric}.yaml"
    return name, text, values, None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_any_well_formed_file_reads_back_its_values_by_both_paths(doc: tuple) -> None:  # type: ignore[type-arg]
    name, text, values, _ = doc
    read = R.parse_bytes(text.encode(), name=name)
    assert dict(read.values) == values
    careful = _careful(text.encode(), name)
    assert careful.values == read.values
    assert careful.notes == read.notes
    # PyYAML reads the same document to the same keys.
    oracle = yaml.safe_load(text)
    assert {str(k) for k in oracle} >= {"version", "service", "start-period", "metric"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["a-root-20240601-load-time.yaml", "x.yaml"]))
def test_any_bytes_give_a_reading_or_an_input_error_never_a_crash(data: bytes, name: str) -> None:
    problem = None
    try:
        R.parse_bytes(data, name=name)
    except InputError as exc:
        problem = exc
    assert problem is None or problem.location.file == name


@settings(max_examples=200, deadline=None)
@given(documents(), st.data())
def test_a_damaged_line_is_refused_or_read_never_crashes(doc: tuple, data: st.DataObject) -> None:  # type: ignore[type-arg]
    name, text, _values, _ = doc
    lines = text.split("\n")
    i = data.draw(st.integers(0, len(lines) - 1))
    junk = data.draw(st.sampled_from(["-1", "{", "- x", "\t", "'", ": :", "99999999999999999999"]))
    lines[i] = lines[i] + junk
    damaged = "\n".join(lines).encode()
    try:
        fast = R.parse_bytes(damaged, name=name)
    except InputError:
        with pytest.raises(InputError) as refused:
            _careful(damaged, name)
        assert refused.value.location.file == name
    else:
        careful = _careful(damaged, name)
        assert careful.values == fast.values
