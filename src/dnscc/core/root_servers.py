"""The thirteen root server identities and who operates them.

Public, stable facts (root-servers.org; RFC 7720 on the root service): the letters a to m
under root-servers.net, run by twelve independent organisations (Verisign runs A and J).
Addresses are not listed here on purpose: they come from the root zone being imported,
so that a renumbering is picked up from the data instead of from code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dnscc.core.errors import InputError, NotFoundError
from dnscc.core.regions import COUNTRIES, Region

__all__ = ["ROOT_SERVER_OPERATORS", "RootServerOperator", "operator_of"]


@dataclass(frozen=True, slots=True)
class RootServerOperator:
    """One root server letter: its host name and the organisation that runs it."""

    letter: str
    operator: str
    country: str  # ISO 3166-1 alpha-2 of the operator's seat
    region: Region

    def __post_init__(self) -> None:
        if len(self.letter) != 1 or not "a" <= self.letter <= "m":
            raise InputError(f"{self.letter!r} is not a root server letter (a to m)")
        if self.country not in COUNTRIES:
            raise InputError(f"{self.country!r} is not an ISO 3166-1 code")

    @property
    def host(self) -> str:
        return f"{self.letter}.root-servers.net"


_NA, _EU, _AP = Region.NORTH_AMERICA, Region.EUROPE, Region.ASIA_PACIFIC

ROOT_SERVER_OPERATORS: Mapping[str, RootServerOperator] = MappingProxyType(
    {
        op.host: op
        for op in (
            RootServerOperator("a", "Verisign, Inc.", "US", _NA),
            RootServerOperator("b", "University of Southern California, ISI", "US", _NA),
            RootServerOperator("c", "Cogent Communications", "US", _NA),
            RootServerOperator("d", "University of Maryland", "US", _NA),
            RootServerOperator("e", "NASA Ames Research Center", "US", _NA),
            RootServerOperator("f", "Internet Systems Consortium, Inc.", "US", _NA),
            RootServerOperator("g", "US Department of Defense (DISA)", "US", _NA),
            RootServerOperator("h", "US Army Research Lab", "US", _NA),
            RootServerOperator("i", "Netnod", "SE", _EU),
            RootServerOperator("j", "Verisign, Inc.", "US", _NA),
            RootServerOperator("k", "RIPE NCC", "NL", _EU),
            RootServerOperator("l", "ICANN", "US", _NA),
            RootServerOperator("m", "WIDE Project", "JP", _AP),
        )
    }
)


def operator_of(host: str) -> RootServerOperator:
    """The operator of a root server host name ("a.root-servers.net"), or NotFoundError."""
    found = ROOT_SERVER_OPERATORS.get(host.lower().rstrip("."))
    if found is None:
        raise NotFoundError(f"{host!r} is not one of the 13 root server names")
    return found
