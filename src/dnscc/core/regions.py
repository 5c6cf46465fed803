"""Countries, ICANN geographic regions, and what a top-level domain stands for.

ICANN's bylaws define five geographic regions. In 2000 (resolution 00.64, reaffirmed in 2003
by 03.100/03.101) the Board allocated countries to them from the United Nations Statistics
Division's macro-geographic regions (M49), with one rule on top:

    a dependent territory goes with the region of its "mother country" (the country of
    citizenship of its people), not with its geography.

So Réunion, Guadeloupe, New Caledonia (France), Aruba and Curaçao (Netherlands), Bermuda,
the Cayman Islands and Saint Helena (United Kingdom) and Greenland (Denmark) are in Europe;
Puerto Rico, Guam and American Samoa (United States) are in North America; Christmas Island
and Norfolk Island (Australia), and the Cook Islands, Niue and Tokelau (New Zealand) are in
Asia/Australia/Pacific. Hong Kong and Macao are in Asia/Pacific like China. Western Asia
(the Middle East) is in Asia/Pacific; Russia is in Europe (UN Eastern Europe); Mexico and
the Caribbean states are in Latin America/Caribbean; North America is Canada and the United
States with their territories.

Where the UN list and ICANN's published allocation table may differ, this table follows
the M49 rule and says so in `UNCERTAIN_REGIONS` (the Caucasus states, Cyprus and Turkey, which
M49 puts in Western Asia; Antarctica, which M49 leaves out). Correct them here, in one place.

ccTLDs are ISO 3166-1 alpha-2 codes (RFC 1591) with historical exceptions: .uk (GB),
.ac (Ascension Island, part of SH), .eu (the European Union, exceptionally reserved in
ISO 3166-1: region Europe, no country), .su (the former Soviet Union, operated in Russia).
IDN ccTLDs (RFC 5890 A-labels from the IDN ccTLD Fast Track and ccPDP4) map to the ISO code
of their territory; every other "xn--" TLD in the root zone is an IDN gTLD, listed
explicitly in `IDN_GTLDS` so that a new IDN TLD is noticed rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType

from dnscc.core.errors import InputError, Location, NotFoundError

__all__ = [
    "CCTLD_EXCEPTIONS",
    "COUNTRIES",
    "IDN_CCTLDS",
    "IDN_GTLDS",
    "UNCERTAIN_REGIONS",
    "Country",
    "Region",
    "TldClass",
    "TldKind",
    "classify_tld",
    "country",
    "country_of_cctld",
    "normalize_country",
    "region_of_country",
    "valid_country",
]


class Region(Enum):
    """ICANN's five geographic regions (ICANN Bylaws, Article 7 section 7.5)."""

    AFRICA = "AF"
    ASIA_PACIFIC = "AP"
    EUROPE = "EU"
    LATIN_AMERICA_CARIBBEAN = "LAC"
    NORTH_AMERICA = "NA"

    @property
    def label(self) -> str:
        return _REGION_LABELS[self]

    @classmethod
    def from_code(cls, code: str) -> Region:
        """The region for "AF", "AP", "EU", "LAC" or "NA" (any case), or InputError."""
        try:
            return cls(code.strip().upper())
        except ValueError:
            raise InputError(
                f"{code!r} is not an ICANN region",
                location=Location(field="region"),
                hint="use one of AF, AP, EU, LAC, NA",
            ) from None


_REGION_LABELS = {
    Region.AFRICA: "Africa",
    Region.ASIA_PACIFIC: "Asia/Australia/Pacific",
    Region.EUROPE: "Europe",
    Region.LATIN_AMERICA_CARIBBEAN: "Latin America/Caribbean islands",
    Region.NORTH_AMERICA: "North America",
}


@dataclass(frozen=True, slots=True)
class Country:
    """An ISO 3166-1 alpha-2 country or territory with its ICANN region."""

    code: str
    name: str
    region: Region

    def __post_init__(self) -> None:
        if len(self.code) != 2 or not self.code.isascii() or not self.code.isupper():
            raise InputError(f"{self.code!r} is not an ISO 3166-1 alpha-2 code")


# code|English short name|region. Territories carry their mother country's region (see the
# module docstring); the comment after a line names the mother country.
_TABLE = """
AD|Andorra|EU
AE|United Arab Emirates|AP
AF|Afghanistan|AP
AG|Antigua and Barbuda|LAC
AI|Anguilla|EU  # GB
AL|Albania|EU
AM|Armenia|AP
AO|Angola|AF
AQ|Antarctica|AP
AR|Argentina|LAC
AS|American Samoa|NA  # US
AT|Austria|EU
AU|Australia|AP
AW|Aruba|EU  # NL
AX|Åland Islands|EU  # FI
AZ|Azerbaijan|AP
BA|Bosnia and Herzegovina|EU
BB|Barbados|LAC
BD|Bangladesh|AP
BE|Belgium|EU
BF|Burkina Faso|AF
BG|Bulgaria|EU
BH|Bahrain|AP
BI|Burundi|AF
BJ|Benin|AF
BL|Saint Barthélemy|EU  # FR
BM|Bermuda|EU  # GB
BN|Brunei Darussalam|AP
BO|Bolivia|LAC
BQ|Bonaire, Sint Eustatius and Saba|EU  # NL
BR|Brazil|LAC
BS|Bahamas|LAC
BT|Bhutan|AP
BV|Bouvet Island|EU  # NO
BW|Botswana|AF
BY|Belarus|EU
BZ|Belize|LAC
CA|Canada|NA
CC|Cocos (Keeling) Islands|AP  # AU
CD|Congo, Democratic Republic of the|AF
CF|Central African Republic|AF
CG|Congo|AF
CH|Switzerland|EU
CI|Côte d'Ivoire|AF
CK|Cook Islands|AP  # NZ
CL|Chile|LAC
CM|Cameroon|AF
CN|China|AP
CO|Colombia|LAC
CR|Costa Rica|LAC
CU|Cuba|LAC
CV|Cabo Verde|AF
CW|Curaçao|EU  # NL
CX|Christmas Island|AP  # AU
CY|Cyprus|AP
CZ|Czechia|EU
DE|Germany|EU
DJ|Djibouti|AF
DK|Denmark|EU
DM|Dominica|LAC
DO|Dominican Republic|LAC
DZ|Algeria|AF
EC|Ecuador|LAC
EE|Estonia|EU
EG|Egypt|AF
EH|Western Sahara|AF
ER|Eritrea|AF
ES|Spain|EU
ET|Ethiopia|AF
FI|Finland|EU
FJ|Fiji|AP
FK|Falkland Islands (Malvinas)|EU  # GB
FM|Micronesia, Federated States of|AP
FO|Faroe Islands|EU  # DK
FR|France|EU
GA|Gabon|AF
GB|United Kingdom|EU
GD|Grenada|LAC
GE|Georgia|AP
GF|French Guiana|EU  # FR
GG|Guernsey|EU  # GB
GH|Ghana|AF
GI|Gibraltar|EU  # GB
GL|Greenland|EU  # DK
GM|Gambia|AF
GN|Guinea|AF
GP|Guadeloupe|EU  # FR
GQ|Equatorial Guinea|AF
GR|Greece|EU
GS|South Georgia and the South Sandwich Islands|EU  # GB
GT|Guatemala|LAC
GU|Guam|NA  # US
GW|Guinea-Bissau|AF
GY|Guyana|LAC
HK|Hong Kong|AP  # CN
HM|Heard Island and McDonald Islands|AP  # AU
HN|Honduras|LAC
HR|Croatia|EU
HT|Haiti|LAC
HU|Hungary|EU
ID|Indonesia|AP
IE|Ireland|EU
IL|Israel|AP
IM|Isle of Man|EU  # GB
IN|India|AP
IO|British Indian Ocean Territory|EU  # GB
IQ|Iraq|AP
IR|Iran|AP
IS|Iceland|EU
IT|Italy|EU
JE|Jersey|EU  # GB
JM|Jamaica|LAC
JO|Jordan|AP
JP|Japan|AP
KE|Kenya|AF
KG|Kyrgyzstan|AP
KH|Cambodia|AP
KI|Kiribati|AP
KM|Comoros|AF
KN|Saint Kitts and Nevis|LAC
KP|Korea, Democratic People's Republic of|AP
KR|Korea, Republic of|AP
KW|Kuwait|AP
KY|Cayman Islands|EU  # GB
KZ|Kazakhstan|AP
LA|Lao People's Democratic Republic|AP
LB|Lebanon|AP
LC|Saint Lucia|LAC
LI|Liechtenstein|EU
LK|Sri Lanka|AP
LR|Liberia|AF
LS|Lesotho|AF
LT|Lithuania|EU
LU|Luxembourg|EU
LV|Latvia|EU
LY|Libya|AF
MA|Morocco|AF
MC|Monaco|EU
MD|Moldova|EU
ME|Montenegro|EU
MF|Saint Martin (French part)|EU  # FR
MG|Madagascar|AF
MH|Marshall Islands|AP
MK|North Macedonia|EU
ML|Mali|AF
MM|Myanmar|AP
MN|Mongolia|AP
MO|Macao|AP  # CN
MP|Northern Mariana Islands|NA  # US
MQ|Martinique|EU  # FR
MR|Mauritania|AF
MS|Montserrat|EU  # GB
MT|Malta|EU
MU|Mauritius|AF
MV|Maldives|AP
MW|Malawi|AF
MX|Mexico|LAC
MY|Malaysia|AP
MZ|Mozambique|AF
NA|Namibia|AF
NC|New Caledonia|EU  # FR
NE|Niger|AF
NF|Norfolk Island|AP  # AU
NG|Nigeria|AF
NI|Nicaragua|LAC
NL|Netherlands|EU
NO|Norway|EU
NP|Nepal|AP
NR|Nauru|AP
NU|Niue|AP  # NZ
NZ|New Zealand|AP
OM|Oman|AP
PA|Panama|LAC
PE|Peru|LAC
PF|French Polynesia|EU  # FR
PG|Papua New Guinea|AP
PH|Philippines|AP
PK|Pakistan|AP
PL|Poland|EU
PM|Saint Pierre and Miquelon|EU  # FR
PN|Pitcairn|EU  # GB
PR|Puerto Rico|NA  # US
PS|Palestine, State of|AP
PT|Portugal|EU
PW|Palau|AP
PY|Paraguay|LAC
QA|Qatar|AP
RE|Réunion|EU  # FR
RO|Romania|EU
RS|Serbia|EU
RU|Russian Federation|EU
RW|Rwanda|AF
SA|Saudi Arabia|AP
SB|Solomon Islands|AP
SC|Seychelles|AF
SD|Sudan|AF
SE|Sweden|EU
SG|Singapore|AP
SH|Saint Helena, Ascension and Tristan da Cunha|EU  # GB
SI|Slovenia|EU
SJ|Svalbard and Jan Mayen|EU  # NO
SK|Slovakia|EU
SL|Sierra Leone|AF
SM|San Marino|EU
SN|Senegal|AF
SO|Somalia|AF
SR|Suriname|LAC
SS|South Sudan|AF
ST|Sao Tome and Principe|AF
SV|El Salvador|LAC
SX|Sint Maarten (Dutch part)|EU  # NL
SY|Syrian Arab Republic|AP
SZ|Eswatini|AF
TC|Turks and Caicos Islands|EU  # GB
TD|Chad|AF
TF|French Southern Territories|EU  # FR
TG|Togo|AF
TH|Thailand|AP
TJ|Tajikistan|AP
TK|Tokelau|AP  # NZ
TL|Timor-Leste|AP
TM|Turkmenistan|AP
TN|Tunisia|AF
TO|Tonga|AP
TR|Türkiye|AP
TT|Trinidad and Tobago|LAC
TV|Tuvalu|AP
TW|Taiwan|AP
TZ|Tanzania|AF
UA|Ukraine|EU
UG|Uganda|AF
UM|United States Minor Outlying Islands|NA  # US
US|United States of America|NA
UY|Uruguay|LAC
UZ|Uzbekistan|AP
VA|Holy See|EU
VC|Saint Vincent and the Grenadines|LAC
VE|Venezuela|LAC
VG|Virgin Islands (British)|EU  # GB
VI|Virgin Islands (U.S.)|NA  # US
VN|Viet Nam|AP
VU|Vanuatu|AP
WF|Wallis and Futuna|EU  # FR
WS|Samoa|AP
YE|Yemen|AP
YT|Mayotte|EU  # FR
ZA|South Africa|AF
ZM|Zambia|AF
ZW|Zimbabwe|AF
"""


def _load() -> dict[str, Country]:
    table: dict[str, Country] = {}
    for raw in _TABLE.strip().splitlines():
        code, name, region = raw.split("#", 1)[0].strip().split("|")
        table[code] = Country(code, name, Region(region))
    return table


COUNTRIES: Mapping[str, Country] = MappingProxyType(_load())

# M49-derived allocations that ICANN's own table may place elsewhere (see the docstring).
UNCERTAIN_REGIONS: frozenset[str] = frozenset({"AM", "AQ", "AZ", "CY", "GE", "TR"})

# ccTLDs that are not the ISO code of their territory: tld -> (ISO code or None, name, region).
CCTLD_EXCEPTIONS: Mapping[str, tuple[str | None, str, Region]] = MappingProxyType(
    {
        "uk": ("GB", "United Kingdom", Region.EUROPE),
        "ac": ("SH", "Ascension Island", Region.EUROPE),
        "eu": (None, "European Union", Region.EUROPE),
        "su": ("RU", "Soviet Union (former)", Region.EUROPE),
    }
)

# IDN ccTLDs in the root zone: A-label -> ISO code (None for the European Union).
IDN_CCTLDS: Mapping[str, str | None] = MappingProxyType(
    {
        "xn--2scrj9c": "IN",  # Kannada
        "xn--3e0b707e": "KR",
        "xn--3hcrj9c": "IN",  # Oriya
        "xn--45br5cyl": "IN",  # Assamese
        "xn--45brj9c": "IN",  # Bengali
        "xn--4dbrk0ce": "IL",
        "xn--54b7fta0cc": "BD",
        "xn--80ao21a": "KZ",
        "xn--90a3ac": "RS",
        "xn--90ae": "BG",
        "xn--90ais": "BY",
        "xn--clchc0ea0b2g2a9gcd": "SG",
        "xn--d1alf": "MK",
        "xn--e1a4c": None,  # European Union
        "xn--fiqs8s": "CN",
        "xn--fiqz9s": "CN",
        "xn--fpcrj9c3d": "IN",  # Telugu
        "xn--fzc2c9e2c": "LK",
        "xn--gecrj9c": "IN",  # Gujarati
        "xn--h2breg3eve": "IN",  # Sanskrit
        "xn--h2brj9c": "IN",  # Hindi
        "xn--h2brj9c8c": "IN",  # Santali
        "xn--j1amh": "UA",
        "xn--j6w193g": "HK",
        "xn--kprw13d": "TW",
        "xn--kpry57d": "TW",
        "xn--l1acc": "MN",
        "xn--lgbbat1ad8j": "DZ",
        "xn--mgb9awbf": "OM",
        "xn--mgba3a4f16a": "IR",
        "xn--mgbaam7a8h": "AE",
        "xn--mgbah1a3hjkrd": "MR",
        "xn--mgbai9azgqp6j": "PK",
        "xn--mgbayh7gpa": "JO",
        "xn--mgbbh1a": "IN",  # Kashmiri
        "xn--mgbbh1a71e": "IN",  # Urdu
        "xn--mgbc0a9azcg": "MA",
        "xn--mgbcpq6gpa1a": "BH",
        "xn--mgberp4a5d4ar": "SA",
        "xn--mgbgu82a": "IN",  # Sindhi
        "xn--mgbpl2fh": "SD",
        "xn--mgbtx2b": "IQ",
        "xn--mgbx4cd0ab": "MY",
        "xn--mix891f": "MO",
        "xn--node": "GE",
        "xn--o3cw4h": "TH",
        "xn--ogbpf8fl": "SY",
        "xn--p1ai": "RU",
        "xn--pgbs0dh": "TN",
        "xn--q7ce6a": "LA",
        "xn--qxa6a": None,  # European Union
        "xn--qxam": "GR",
        "xn--rvc1e0am3e": "IN",  # Malayalam
        "xn--s9brj9c": "IN",  # Punjabi
        "xn--wgbh1c": "EG",
        "xn--wgbl6a": "QA",
        "xn--xkc2al3hye2a": "LK",
        "xn--xkc2dl3a5ee0h": "IN",
        "xn--y9a3aq": "AM",
        "xn--yfro4i67o": "SG",
        "xn--ygbi2ammx": "PS",
    }
)

# Every other IDN TLD of the root zone (serial 2026082201): generic, brand or community TLDs,
# including city and regional names (Moscow, Guangdong, Foshan, Abu Dhabi), .rus, .deti, .arab.
IDN_GTLDS: frozenset[str] = frozenset(
    [
        "xn--11b4c3d",
        "xn--1ck2e1b",
        "xn--1qqw23a",
        "xn--30rr7y",
        "xn--3bst00m",
        "xn--3ds443g",
        "xn--3pxu8k",
        "xn--42c2d9a",
        "xn--45q11c",
        "xn--4gbrim",
        "xn--55qw42g",
        "xn--55qx5d",
        "xn--5su34j936bgsg",
        "xn--5tzm5g",
        "xn--6frz82g",
        "xn--6qq986b3xl",
        "xn--80adxhks",
        "xn--80aqecdr1a",
        "xn--80asehdb",
        "xn--80aswg",
        "xn--8y0a063a",
        "xn--9dbq2a",
        "xn--9et52u",
        "xn--9krt00a",
        "xn--b4w605ferd",
        "xn--bck1b9a5dre4c",
        "xn--c1avg",
        "xn--c2br7g",
        "xn--cck2b3b",
        "xn--cckwcxetd",
        "xn--cg4bki",
        "xn--czr694b",
        "xn--czrs0t",
        "xn--czru2d",
        "xn--d1acj3b",
        "xn--eckvdtc9d",
        "xn--efvy88h",
        "xn--fct429k",
        "xn--fhbei",
        "xn--fiq228c5hs",
        "xn--fiq64b",
        "xn--fjq720a",
        "xn--flw351e",
        "xn--fzys8d69uvgm",
        "xn--g2xx48c",
        "xn--gckr3f0f",
        "xn--gk3at1e",
        "xn--hxt814e",
        "xn--i1b6b1a6a2e",
        "xn--imr513n",
        "xn--io0a7i",
        "xn--j1aef",
        "xn--jlq480n2rg",
        "xn--jvr189m",
        "xn--kcrx77d1x4a",
        "xn--kput3i",
        "xn--mgba3a3ejt",
        "xn--mgba7c0bbn0a",
        "xn--mgbab2bd",
        "xn--mgbca7dzdo",
        "xn--mgbi4ecexp",
        "xn--mgbt3dhd",
        "xn--mk1bu44c",
        "xn--mxtq1m",
        "xn--ngbc5azd",
        "xn--ngbe9e0a",
        "xn--ngbrx",
        "xn--nqv7f",
        "xn--nqv7fs00ema",
        "xn--nyqy26a",
        "xn--otu796d",
        "xn--p1acf",
        "xn--pssy2u",
        "xn--q9jyb4c",
        "xn--qcka1pmc",
        "xn--rhqv96g",
        "xn--rovu88b",
        "xn--ses554g",
        "xn--t60b56a",
        "xn--tckwe",
        "xn--tiq49xqyj",
        "xn--unup4y",
        "xn--vermgensberater-ctb",
        "xn--vermgensberatung-pwb",
        "xn--vhquv",
        "xn--vuq861b",
        "xn--w4r85el8fhu5dnra",
        "xn--w4rs40l",
        "xn--xhq521b",
        "xn--zfr164b",
    ]
)

INFRASTRUCTURE_TLDS: frozenset[str] = frozenset({"arpa"})


class TldKind(StrEnum):
    """What a top-level domain is, for routing notices (RFC 1591, RFC 3172, RFC 5890)."""

    CCTLD = "cctld"
    GTLD = "gtld"
    IDN_CCTLD = "idn_cctld"
    INFRASTRUCTURE = "infrastructure"


@dataclass(frozen=True, slots=True)
class TldClass:
    """A TLD's kind, and for country-code TLDs its country (ISO code) and region."""

    kind: TldKind
    country: str | None = None
    region: Region | None = None
    # False for an "xn--" TLD in neither IDN table: classified gTLD by default, check it.
    known: bool = True


def normalize_country(code: str) -> str:
    """The upper-case ISO 3166-1 alpha-2 code, or InputError(field="country")."""
    value = code.strip().upper() if isinstance(code, str) else ""
    if value not in COUNTRIES:
        raise InputError(
            f"{code!r} is not an assigned ISO 3166-1 alpha-2 code",
            location=Location(field="country"),
            hint="use a two-letter code such as DE, JP or BR (the United Kingdom is GB)",
        )
    return value


def valid_country(code: str) -> bool:
    """Whether `code` (any case) is an assigned ISO 3166-1 alpha-2 code."""
    return isinstance(code, str) and code.strip().upper() in COUNTRIES


def country(code: str) -> Country:
    """The Country for an ISO code, or NotFoundError."""
    found = COUNTRIES.get(code.strip().upper())
    if found is None:
        raise NotFoundError(f"no country with ISO 3166-1 code {code!r}")
    return found


def region_of_country(code: str) -> Region:
    """ICANN region of an ISO code, or NotFoundError."""
    return country(code).region


def country_of_cctld(tld: str) -> str | None:
    """ISO code a two-letter ccTLD or an IDN ccTLD stands for; None for .eu and unknown."""
    tld = tld.lower()
    if tld in CCTLD_EXCEPTIONS:
        return CCTLD_EXCEPTIONS[tld][0]
    if tld in IDN_CCTLDS:
        return IDN_CCTLDS[tld]
    code = tld.upper()
    return code if code in COUNTRIES else None


def classify_tld(tld: str) -> TldClass:
    """Kind, country and region of a normalised TLD (A-label, lower case, no dot)."""
    if tld in INFRASTRUCTURE_TLDS:
        return TldClass(TldKind.INFRASTRUCTURE)
    if len(tld) == 2 and tld.isalpha():
        if tld in CCTLD_EXCEPTIONS:
            code, _name, region = CCTLD_EXCEPTIONS[tld]
            return TldClass(TldKind.CCTLD, code, region)
        found = COUNTRIES.get(tld.upper())
        if found is None:
            # A two-letter TLD that is no ISO code and no known exception: still a ccTLD.
            return TldClass(TldKind.CCTLD, known=False)
        return TldClass(TldKind.CCTLD, found.code, found.region)
    if tld in IDN_CCTLDS:
        code = IDN_CCTLDS[tld]
        if code is None:
            return TldClass(TldKind.IDN_CCTLD, None, Region.EUROPE)
        return TldClass(TldKind.IDN_CCTLD, code, COUNTRIES[code].region)
    known = not tld.startswith("xn--") or tld in IDN_GTLDS
    return TldClass(TldKind.GTLD, known=known)
