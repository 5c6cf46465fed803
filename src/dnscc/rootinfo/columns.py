"""Which LetterDay column each published key fills (pure: the parsing workers use it)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

QUERY_COLUMNS = ("queries_udp4", "queries_udp6", "queries_tcp4", "queries_tcp6")
RESPONSE_COLUMNS = ("responses_udp4", "responses_udp6", "responses_tcp4", "responses_tcp6")
RCODE_COLUMNS = ("rcode_noerror", "rcode_servfail", "rcode_nxdomain", "rcode_refused")
SOURCE_COLUMNS = ("sources_ipv4", "sources_ipv6", "sources_ipv6_aggregate")
LOAD_COLUMNS = ("load_time_median", "load_time_max")

# Which LetterDay columns each metric fills (a file sets all of its metric's columns).
COLUMNS = {
    "traffic-volume": QUERY_COLUMNS + RESPONSE_COLUMNS,
    "rcode-volume": (*RCODE_COLUMNS, "rcode_total"),
    "unique-sources": SOURCE_COLUMNS,
    "load-time": LOAD_COLUMNS,
}
_VOLUME_KEYS = {
    "queries_udp4": "dns-udp-queries-received-ipv4",
    "queries_udp6": "dns-udp-queries-received-ipv6",
    "queries_tcp4": "dns-tcp-queries-received-ipv4",
    "queries_tcp6": "dns-tcp-queries-received-ipv6",
    "responses_udp4": "dns-udp-responses-sent-ipv4",
    "responses_udp6": "dns-udp-responses-sent-ipv6",
    "responses_tcp4": "dns-tcp-responses-sent-ipv4",
    "responses_tcp6": "dns-tcp-responses-sent-ipv6",
}
_RCODES = {"rcode_noerror": "0", "rcode_servfail": "2", "rcode_nxdomain": "3", "rcode_refused": "5"}
_SOURCES = {
    "sources_ipv4": "num-sources-ipv4",
    "sources_ipv6": "num-sources-ipv6",
    "sources_ipv6_aggregate": "num-sources-ipv6-aggregate",
}


def columns_of(metric: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The LetterDay columns one file of `metric` sets (None where it had no value)."""
    if metric == "traffic-volume":
        return {col: values.get(key) for col, key in _VOLUME_KEYS.items()}
    if metric == "rcode-volume":
        out: dict[str, Any] = {col: values.get(code) for col, code in _RCODES.items()}
        out["rcode_total"] = sum(values.values()) if values else None
        return out
    if metric == "unique-sources":
        return {col: values.get(key) for col, key in _SOURCES.items()}
    if metric == "load-time":
        times = [float(v) for v in values.values()]
        return {
            "load_time_median": statistics.median(times) if times else None,
            "load_time_max": max(times) if times else None,
        }
    return {}
