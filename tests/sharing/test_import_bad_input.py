"""Imports under bad input: unknown object types and custom properties are kept or rejected
per the import's policy (docs/sharing.md), invalid patterns are rejected one by one with the
reason, markings missing or unknown count as the strictest label (TLP:RED) and a label is
never lowered; a malformed or oversized document leaves nothing behind."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from dnscc.core import stix
from dnscc.core.errors import InputError
from dnscc.core.tlp import TLP
from dnscc.sharing import imports
from dnscc.sharing.models import Import, Intel, KeptObject
from tests.sharing.helpers import staff

pytestmark = pytest.mark.django_db

AMBER = stix.marking_ref(TLP.AMBER)
GREEN = stix.marking_ref(TLP.GREEN)


def _indicator(n: int, pattern: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix.stix_id("indicator", "partner", str(n)),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        **extra,
    }


def _bundle(*objects: dict[str, Any]) -> io.BytesIO:
    body = {"type": "bundle", "id": stix.stix_id("bundle", "partner"), "objects": list(objects)}
    return io.BytesIO(json.dumps(body).encode())


def _import(world: Any, stream: io.BytesIO, **kwargs: Any) -> Import:
    viewer, actor = staff(world)
    return imports.import_stix(
        viewer, actor, stream, name="partner.json", provenance="Partner CERT", **kwargs
    )


def _labels(imp: Import) -> dict[str, str]:
    ranks = {t.rank: t.value for t in TLP}
    return {i.value: ranks[i.tlp_rank] for i in Intel.objects.filter(imported=imp)}


CUSTOM_TYPE = {
    "type": "x-acme-takedown-ticket",
    "spec_version": "2.1",
    "id": "x-acme-takedown-ticket--6b0f0b5e-3f0e-4a55-8d7c-0a1b2c3d4e5f",
    "ticket": "ACME-1234",
    "object_marking_refs": [AMBER],
}


def _custom_bundle() -> io.BytesIO:
    return _bundle(
        CUSTOM_TYPE,
        _indicator(
            1, "[domain-name:value = 'scored.alpha']", x_acme_score=97, object_marking_refs=[AMBER]
        ),
        _indicator(2, "[domain-name:value = 'plain.alpha']", object_marking_refs=[AMBER]),
    )


def test_unknown_types_and_custom_properties_are_kept_under_the_keep_policy(world: Any) -> None:
    imp = _import(world, _custom_bundle(), policy="keep")
    assert (imp.object_count, imp.indicator_count, imp.kept, imp.rejected) == (3, 2, 1, 0)
    kept = KeptObject.objects.get(imported=imp)
    assert (kept.type, kept.custom) == ("x-acme-takedown-ticket", True)
    assert json.loads(kept.data)["ticket"] == "ACME-1234"  # as it came
    assert _labels(imp) == {"scored.alpha": "AMBER", "plain.alpha": "AMBER"}


def test_unknown_types_and_custom_properties_are_rejected_under_the_reject_policy(
    world: Any,
) -> None:
    imp = _import(world, _custom_bundle(), policy="reject")
    assert (imp.object_count, imp.indicator_count, imp.kept, imp.rejected) == (3, 1, 0, 2)
    reasons = {r["ref"]: r["reason"] for r in imp.report["rejections"]}
    assert reasons[CUSTOM_TYPE["id"]] == "unknown object type (policy: reject)"
    assert reasons[_indicator(1, "")["id"]] == "custom properties (policy: reject)"
    assert _labels(imp) == {"plain.alpha": "AMBER"}


def test_an_unknown_policy_is_refused_before_anything_is_written(world: Any) -> None:
    with pytest.raises(InputError, match="unknown policy 'maybe'"):
        _import(world, _custom_bundle(), policy="maybe")
    assert not Import.objects.exists()


def test_invalid_patterns_are_rejected_one_by_one_with_the_reason(world: Any) -> None:
    marked = {"object_marking_refs": [AMBER]}
    imp = _import(
        world,
        _bundle(
            _indicator(1, "[domain-name:value = 'broken.alpha'", **marked),  # unclosed
            _indicator(2, "", **marked),
            _indicator(3, "[domain-name:value = 'a.alpha'] AND", **marked),
            _indicator(4, "[domain-name:value = 'bad..name.alpha']", **marked),
            _indicator(
                5, "[domain-name:value = 'ok.alpha' OR ipv4-addr:value = '192.0.2.9']", **marked
            ),
            _indicator(6, "[file:name = 'dropper.exe']", **marked),  # valid, not a name
        ),
    )
    reasons = {r["ref"]: r["reason"] for r in imp.report["rejections"]}
    assert reasons[_indicator(1, "")["id"]].startswith("invalid pattern:")
    assert reasons[_indicator(2, "")["id"]] == "the pattern is empty"
    assert reasons[_indicator(3, "")["id"]].startswith("invalid pattern:")
    assert "bad..name.alpha" in reasons[_indicator(4, "")["id"]]
    assert imp.rejected == 4
    assert _labels(imp) == {"ok.alpha": "AMBER", "192.0.2.9": "AMBER"}
    assert KeptObject.objects.get(imported=imp).ref == _indicator(6, "")["id"]


def test_missing_or_unknown_markings_count_as_the_strictest_label(world: Any) -> None:
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a",
        "created": "2026-01-01T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": "Copyright Partner CERT"},
    }
    later = "marking-definition--9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    imp = _import(
        world,
        _bundle(
            _indicator(1, "[domain-name:value = 'none.alpha']"),
            _indicator(
                2,
                "[domain-name:value = 'unknown.alpha']",
                object_marking_refs=["marking-definition--0000aaaa-0000-4000-8000-00000000abcd"],
            ),
            _indicator(
                3, "[domain-name:value = 'statement.alpha']", object_marking_refs=[statement["id"]]
            ),
            _indicator(4, "[domain-name:value = 'green.alpha']", object_marking_refs=[GREEN]),
            _indicator(
                5,
                "[domain-name:value = 'two-unknown.alpha']",
                object_marking_refs=[later, "marking-definition--nope"],
            ),
            # A TLP marking defined after the object that uses it is resolved at the end.
            _indicator(
                6, "[domain-name:value = 'defined-later.alpha']", object_marking_refs=[later]
            ),
            statement,
            {**stix.MARKINGS[TLP.AMBER], "id": later},
        ),
    )
    assert _labels(imp) == {
        "none.alpha": "RED",
        "unknown.alpha": "RED",
        "statement.alpha": "RED",
        "green.alpha": "GREEN",
        "two-unknown.alpha": "RED",
        "defined-later.alpha": "AMBER",
    }
    assert imp.tlp == "RED"
    assert not imp.may_forward


def test_a_label_the_partner_shared_under_raises_every_object_and_lowers_none(
    world: Any,
) -> None:
    imp = _import(
        world,
        _bundle(
            _indicator(1, "[domain-name:value = 'none.alpha']"),
            _indicator(2, "[domain-name:value = 'green.alpha']", object_marking_refs=[GREEN]),
            _indicator(
                3,
                "[domain-name:value = 'red.alpha']",
                object_marking_refs=[stix.marking_ref(TLP.RED)],
            ),
        ),
        source_tlp="AMBER",
    )
    assert _labels(imp) == {"none.alpha": "AMBER", "green.alpha": "AMBER", "red.alpha": "RED"}
    assert (imp.source_tlp, imp.tlp) == ("AMBER", "RED")


def test_a_misp_event_without_a_tlp_tag_is_the_strictest(world: Any) -> None:
    viewer, actor = staff(world)
    event = {"Event": {"info": "untagged", "Attribute": [{"type": "domain", "value": "x.alpha"}]}}
    imp = imports.import_misp(
        viewer,
        actor,
        [("e.json", io.BytesIO(json.dumps(event).encode()))],
        name="e.json",
        provenance="Partner CERT",
    )
    assert _labels(imp) == {"x.alpha": "RED"}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b'{"type": "bundle", "objects": [{"type": "indicator", "id": "indicator--1"', "malformed"),
        (b'{"type": "report", "objects": []}', "not 'bundle'"),
        (b'{"type": "bundle", "id": "bundle--1"}', "no objects array"),
        (b"\xff\xfe not json", "malformed"),
    ],
)
def test_a_malformed_document_is_refused_and_leaves_nothing(
    world: Any, document: bytes, problem: str
) -> None:
    with pytest.raises(InputError, match=problem) as refused:
        _import(world, io.BytesIO(document))
    assert refused.value.location.file == "partner.json"
    assert not Import.objects.exists()
    assert not Intel.objects.exists()


def test_a_document_over_the_size_limit_is_refused_and_leaves_nothing(
    world: Any, settings: Any
) -> None:
    settings.SHARING_IMPORT_MAX_BYTES = 2048
    many = [_indicator(i, f"[domain-name:value = 'n{i}.alpha']") for i in range(40)]
    with pytest.raises(InputError, match="over the limit of 2,048 bytes"):
        _import(world, _bundle(*many))
    assert not Import.objects.exists()
    assert not Intel.objects.exists()
