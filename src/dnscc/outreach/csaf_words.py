"""CSAF validation problems in words a coordinator can act on.

The validators speak in test ids and JSON pointers ("mandatoryTest_6_1_27_2",
"/document/references"). People fill in a form: `explain` says which field of the
advisory form the problem is in, what CSAF 2.0 asks there (the mandatory tests of §6.1,
in our words), and keeps the pointer and the test id in brackets for whoever checks the
document itself.
"""

from __future__ import annotations

import re

from dnscc.outreach.csaf import Problem

# CSAF 2.0 §6.1: what each mandatory test asks, said as what to fix.
MANDATORY = {
    "6.1.1": "a product ID is used but never defined in the product tree",
    "6.1.2": "a product ID is defined more than once",
    "6.1.3": "a product is defined in terms of itself",
    "6.1.4": "a product group ID is used but never defined",
    "6.1.5": "a product group ID is defined more than once",
    "6.1.6": "a product is both affected and not affected (contradicting status)",
    "6.1.7": "a product has two scores of the same CVSS version",
    "6.1.8": "a CVSS score is not valid",
    "6.1.9": "a CVSS score does not match its vector",
    "6.1.10": "a CVSS vector and its fields disagree",
    "6.1.11": "the CWE is unknown or its name does not match",
    "6.1.12": "the language is not a valid language tag (such as en or fr)",
    "6.1.13": "the package URL (purl) is not valid",
    "6.1.14": "the revision history is not in order",
    "6.1.15": "a translation names no translator",
    "6.1.16": "the version is not the latest in the revision history",
    "6.1.17": "a draft document must have a draft version",
    "6.1.18": "a released document must not list pre-release revisions",
    "6.1.19": "the revision history has pre-release entries",
    "6.1.20": "a final document must not have a pre-release version",
    "6.1.21": "a version is missing from the revision history",
    "6.1.22": "a version appears twice in the revision history",
    "6.1.23": "the same CVE is listed twice (one line per CVE)",
    "6.1.24": "an involvement is listed twice",
    "6.1.25": "the same hash algorithm is used twice for one file",
    "6.1.26": "the category's name is reserved for another profile",
    "6.1.27.1": "this kind of advisory needs a description: write the Summary",
    "6.1.27.2": "an informational advisory needs at least one reference to an outside"
    " source: add a URL under References",
    "6.1.27.3": "an informational advisory lists no vulnerabilities: remove the"
    " Vulnerabilities lines, or make it a security advisory",
    "6.1.27.4": "a security advisory needs the products it is about: fill in Products",
    "6.1.27.5": "each vulnerability needs a description: write it after the second | of its line",
    "6.1.27.6": "each vulnerability needs the products it affects: fill in Products",
    "6.1.27.7": "a VEX document needs a product status for each vulnerability",
    "6.1.27.8": "each vulnerability needs a CVE or another identifier",
    "6.1.27.9": "a product not affected needs an impact statement",
    "6.1.27.10": "an affected product needs an action statement (a recommendation)",
    "6.1.27.11": "a security advisory needs at least one vulnerability",
    "6.1.28": "a translation must not be in the language it translates from",
    "6.1.29": "a remediation names no product",
    "6.1.30": "the version mixes integer and semantic versioning",
    "6.1.31": "a product version is a range (write exact versions)",
    "6.1.32": "a flag names no product",
    "6.1.33": "a product has more than one VEX justification",
}

# JSON pointer prefix -> the advisory form's field (longest prefix wins).
FIELDS = [
    (r"^/document/title", "Title"),
    (r"^/document/category", "Category"),
    (r"^/document/distribution", "TLP"),
    (r"^/document/notes", "Summary, details or recommendation"),
    (r"^/document/references/(\d+)", "References, URL {n}"),
    (r"^/document/references", "References"),
    (r"^/document/lang", "Language"),
    (r"^/document/tracking", "Version and revision history (kept by the center)"),
    (r"^/document/publisher", "Publisher (the center's settings)"),
    (r"^/document", "The advisory"),
    (r"^/product_tree", "Products"),
    (r"^/vulnerabilities/(\d+)/cve", "Vulnerabilities, line {n}: the CVE"),
    (r"^/vulnerabilities/(\d+)/title", "Vulnerabilities, line {n}: the title"),
    (r"^/vulnerabilities/(\d+)/notes", "Vulnerabilities, line {n}: the description"),
    (r"^/vulnerabilities/(\d+)", "Vulnerabilities, line {n}"),
    (r"^/vulnerabilities", "Vulnerabilities"),
]


def test_number(test: str) -> str:
    """ "6.1.27.2" from "mandatoryTest_6_1_27_2" (or from "6.1.27.2")."""
    digits = re.findall(r"\d+", test or "")
    return ".".join(digits)


def where(path: str) -> str:
    """The form field a JSON pointer falls in (1-based line numbers)."""
    for pattern, name in FIELDS:
        match = re.match(pattern, path or "")
        if match:
            n = int(match.group(1)) + 1 if match.groups() else 0
            return name.format(n=n)
    return "The advisory"


def what(problem: Problem) -> str:
    """What is wrong, in words: the mandatory test's meaning, else the validator's text."""
    number = test_number(problem.test)
    if problem.test.startswith("mandatoryTest") or number in MANDATORY:
        words = MANDATORY.get(number)
        if words:
            return words
    return problem.message[:1].lower() + problem.message[1:] if problem.message else "invalid"


def explain(problem: Problem) -> str:
    """ "References: an informational advisory needs ... (CSAF 2.0 §6.1.27.2 at
    /document/references)" """
    number = test_number(problem.test)
    source = f"CSAF 2.0 §{number}" if number.startswith("6.") else "CSAF 2.0 schema"
    return f"{where(problem.path)}: {what(problem)} ({source} at {problem.path or '/'})"
