"""The risk scales of NIST SP 800-30 Rev. 1 ("Guide for Conducting Risk Assessments", 2012),
as the center scores its register. Pure: the tables are data, checked by hand in
docs/risk.md.

Five qualitative levels, each with the semi-quantitative value 800-30 gives it (Appendix G
Table G-2 for likelihood, Appendix H Table H-3 for impact, Appendix I Table I-3 for risk):

    level       semi-quantitative range   representative value
    very high   96-100                    10
    high        80-95                     8
    moderate    21-79                     5
    low         5-20                      2
    very low    0-4                       0

The level of risk of a (likelihood, impact) pair is Table I-2, not a product:

    likelihood \\ impact   very low   low        moderate   high       very high
    very high             very low   low        moderate   high       very high
    high                  very low   low        moderate   high       very high
    moderate              very low   low        moderate   moderate   high
    low                   very low   low        low        low        moderate
    very low              very low   very low   very low   low        low

The overall likelihood, when it is assessed in two parts, is Table G-5: the likelihood
that a threat event is initiated (adversarial) or occurs (other sources) combined with the
likelihood that, once initiated or occurred, it results in adverse impact.

The center's semi-quantitative risk score orders risks within and across levels:
score = likelihood value x impact value (0 to 100), from the representative values above.
It never decides a level; Table I-2 does.

    >>> risk_level("moderate", "very high")
    'high'
    >>> risk_score("moderate", "very high")
    50
"""

from __future__ import annotations

from dnscc.core.errors import InputError, Location

__all__ = [
    "LEVELS",
    "LEVEL_RANGES",
    "LEVEL_VALUES",
    "OVERALL_LIKELIHOOD",
    "RISK_MATRIX",
    "check_level",
    "level_rank",
    "overall_likelihood",
    "risk_level",
    "risk_score",
]

# Lowest first: a level's index is its rank.
LEVELS: tuple[str, ...] = ("very low", "low", "moderate", "high", "very high")

LEVEL_VALUES: dict[str, int] = {
    "very low": 0,
    "low": 2,
    "moderate": 5,
    "high": 8,
    "very high": 10,
}
LEVEL_RANGES: dict[str, tuple[int, int]] = {
    "very low": (0, 4),
    "low": (5, 20),
    "moderate": (21, 79),
    "high": (80, 95),
    "very high": (96, 100),
}

_VL, _L, _M, _H, _VH = LEVELS

# Table I-2: RISK_MATRIX[likelihood][impact], impact in LEVELS order.
RISK_MATRIX: dict[str, tuple[str, ...]] = {
    _VH: (_VL, _L, _M, _H, _VH),
    _H: (_VL, _L, _M, _H, _VH),
    _M: (_VL, _L, _M, _M, _H),
    _L: (_VL, _L, _L, _L, _M),
    _VL: (_VL, _VL, _VL, _L, _L),
}

# Table G-5: OVERALL_LIKELIHOOD[initiation or occurrence][adverse impact], in LEVELS order.
OVERALL_LIKELIHOOD: dict[str, tuple[str, ...]] = {
    _VH: (_L, _M, _H, _VH, _VH),
    _H: (_L, _M, _M, _H, _VH),
    _M: (_L, _L, _M, _M, _H),
    _L: (_VL, _L, _L, _M, _M),
    _VL: (_VL, _VL, _L, _L, _L),
}

_ALIASES = {
    "vl": _VL,
    "very-low": _VL,
    "very_low": _VL,
    "verylow": _VL,
    "l": _L,
    "m": _M,
    "medium": _M,
    "h": _H,
    "vh": _VH,
    "very-high": _VH,
    "very_high": _VH,
    "veryhigh": _VH,
}


def check_level(value: object, *, field: str) -> str:
    """The 800-30 level `value` names ("very high", "very-high", "VH", a value 0-100 of the
    semi-quantitative scale), or InputError naming `field` and the scale."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        number = float(value)
        for level, (low, high) in LEVEL_RANGES.items():
            if low <= number <= high or (level != _VH and high < number < high + 1):
                return level
        raise InputError(
            f"{field} {value} is outside the scale 0-100",
            location=Location(field=field),
            hint="use a level (very low, low, moderate, high, very high) or a value 0-100",
        )
    text = " ".join(str(value or "").strip().lower().split())
    if text in LEVEL_VALUES:
        return text
    if text in _ALIASES:
        return _ALIASES[text]
    if text.isdigit():
        return check_level(int(text), field=field)
    raise InputError(
        f"{field} {value!r} is not on the NIST SP 800-30 scale",
        location=Location(field=field),
        hint="use one of: " + ", ".join(LEVELS) + " (or a value 0-100)",
    )


def level_rank(level: str) -> int:
    """0 for very low ... 4 for very high."""
    return LEVELS.index(level)


def risk_level(likelihood: str, impact: str) -> str:
    """The level of risk (Table I-2) of an overall likelihood and an impact."""
    li = check_level(likelihood, field="likelihood")
    im = check_level(impact, field="impact")
    return RISK_MATRIX[li][level_rank(im)]


def risk_score(likelihood: str, impact: str) -> int:
    """The semi-quantitative risk score, 0-100: likelihood value x impact value."""
    li = check_level(likelihood, field="likelihood")
    im = check_level(impact, field="impact")
    return LEVEL_VALUES[li] * LEVEL_VALUES[im]


def overall_likelihood(initiation: str, adverse: str) -> str:
    """Table G-5: the overall likelihood from the likelihood of initiation (or occurrence)
    and the likelihood that the event results in adverse impact."""
    ini = check_level(initiation, field="initiation")
    adv = check_level(adverse, field="adverse")
    return OVERALL_LIKELIHOOD[ini][level_rank(adv)]
