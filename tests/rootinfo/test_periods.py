"""The week and month sums kept at ingestion (PeriodSums, SizeMonth's all-letters rows):
equal to what the rows give after an ingestion, a repeated one and a corrected file, and the
plots read from them draw exactly what they drew from the rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dnscc.core.rssac002 import LETTERS
from dnscc.rootinfo import figures, periods, plots, sizes
from dnscc.rootinfo.ingest import ingest
from dnscc.rootinfo.models import IngestRun, LetterDay, PeriodSums, SizeMonth


def _expected() -> dict[tuple[str, str, date], dict[str, Any]]:
    """The sums computed here, plainly, from every LetterDay row."""
    out: dict[tuple[str, str, date], dict[str, Any]] = {}
    for row in LetterDay.objects.all():
        for step in periods.STEPS:
            start = figures.bucket_of(row.day, step)
            for who in (row.letter, ""):
                cell = out.setdefault(
                    (who, step, start),
                    {
                        "days": set(),
                        "sums": dict.fromkeys(periods.SUMMED, 0),
                        "queries": 0,
                        "sources": 0,
                        "load": [],
                    },
                )
                cell["days"].add(row.day)
                for c in periods.SUMMED:
                    cell["sums"][c] += getattr(row, c) or 0
                cell["queries"] += any(getattr(row, c) is not None for c in figures.QUERY_COLUMNS)
                cell["sources"] += (row.sources_ipv4, row.sources_ipv6) != (None, None)
                if row.load_time_max is not None:
                    cell["load"].append(row.load_time_max)
    return {
        key: {
            "days": len(c["days"]),
            "sums": c["sums"],
            "days_with": {"queries": c["queries"], "sources": c["sources"]},
            "load_times": sorted(c["load"]),
        }
        for key, c in out.items()
    }


def _kept() -> dict[tuple[str, str, date], dict[str, Any]]:
    return {
        (p.letter, p.step, p.start): {
            "days": p.days,
            "sums": p.sums,
            "days_with": p.days_with,
            "load_times": p.load_times,
        }
        for p in PeriodSums.objects.all()
    }


def _size_months_add_up() -> None:
    for month in SizeMonth.objects.values_list("month", flat=True).distinct():
        total: dict[str, list[int]] = {}
        for hists in (
            SizeMonth.objects.filter(month=month)
            .exclude(letter="")
            .values_list("histograms", flat=True)
        ):
            for name, hist in hists.items():
                total[name] = sizes.add(total.get(name), hist)
        assert SizeMonth.objects.get(month=month, letter="").histograms == total


def test_the_sums_kept_at_ingestion_equal_the_rows(loaded: IngestRun) -> None:
    kept = _kept()
    assert kept == _expected()
    # June 2024: one month row per letter and one for all letters; weeks likewise.
    assert {k for k in kept if k[1] == "month"} == {
        (w, "month", date(2024, 6, 1)) for w in ["", *LETTERS]
    }
    _size_months_add_up()


def test_a_changed_file_ingested_again_keeps_the_sums_equal_to_the_rows(
    loaded: IngestRun, sample: Path, tmp_path: Path
) -> None:
    month = PeriodSums.objects.get(letter="a", step="month", start=date(2024, 6, 1))
    before = month.sums["queries_udp4"]
    name = "a-root-20240603-traffic-volume.yaml"
    original = (sample / "2024/06/traffic-volume" / name).read_text()
    old = LetterDay.objects.get(letter="a", day=date(2024, 6, 3)).queries_udp4
    changed = original.replace(
        f"dns-udp-queries-received-ipv4: {old}", f"dns-udp-queries-received-ipv4: {old + 1000}"
    )
    assert changed != original
    (tmp_path / name).write_text(changed)
    run = ingest(tmp_path / name, jobs=1)
    assert run.files_corrected == 1
    assert _kept() == _expected()
    month = PeriodSums.objects.get(letter="a", step="month", start=date(2024, 6, 1))
    assert month.sums["queries_udp4"] == before + 1000
    # The same corrected file again: nothing to recompute, the sums stay.
    again = ingest(tmp_path / name, jobs=1)
    assert again.files_unchanged == 1
    assert _kept() == _expected()


def test_a_corrected_traffic_sizes_file_keeps_the_all_letters_month_equal_to_the_letters(
    loaded: IngestRun, sample: Path, tmp_path: Path
) -> None:
    name = "b-root-20240601-traffic-sizes.yaml"
    original = (sample / "2024/06/traffic-sizes" / name).read_text()
    head, sep, rest = original.partition("  32-47: ")
    count, nl, tail = rest.partition("\n")
    (tmp_path / name).write_text(f"{head}{sep}{int(count) + 77}{nl}{tail}")
    before = SizeMonth.objects.get(letter="", month=date(2024, 6, 1)).histograms
    assert ingest(tmp_path / name, jobs=1).files_corrected == 1
    after = SizeMonth.objects.get(letter="", month=date(2024, 6, 1)).histograms
    assert after["udp-request-sizes"][2] == before["udp-request-sizes"][2] + 77
    _size_months_add_up()


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2024, 3, 1), date(2024, 8, 31)),  # weeks; June's whole weeks from the sums
        (date(2024, 6, 5), date(2024, 12, 31)),  # weeks; a partial first week from the rows
        (date(2021, 1, 1), date(2025, 12, 31)),  # months; June 2024 from the sums
        (date(2021, 1, 1), date(2024, 6, 10)),  # months; a partial last month from the rows
    ],
)
def test_plots_over_years_draw_from_the_sums_exactly_what_the_rows_give(
    loaded: IngestRun, monkeypatch: pytest.MonkeyPatch, first: date, last: date
) -> None:
    step = figures.step_for(first, last)
    whole = periods.whole_periods(first, last, step)
    if whole is not None and whole[0] <= date(2024, 6, 3) <= whole[1]:
        # The sums are what is read: without them, the whole periods' figures are gone.
        point = figures.bucket_of(date(2024, 6, 3), step)
        assert point in figures.series(figures.QUERY_COLUMNS, first, last)[1]
        kept = list(PeriodSums.objects.all())
        PeriodSums.objects.all().delete()
        assert point not in figures.series(figures.QUERY_COLUMNS, first, last)[1]
        PeriodSums.objects.bulk_create(kept)
    from_sums = (
        figures.series(figures.QUERY_COLUMNS, first, last),
        figures.system_sums((*figures.RCODE_COLUMNS, "rcode_total"), first, last),
        figures.system_sums(figures.SOURCE_COLUMNS, first, last, letters="k"),
        plots.system_plots(first, last),
        plots.letter_plots("e", first, last),
    )
    assert from_sums[0][1], "the range holds figures"
    # The same figures with the sums ignored: every point from the rows.
    monkeypatch.setattr(periods, "whole_periods", lambda *a: None)
    monkeypatch.setattr(periods, "who_of", lambda letters: None)
    from_rows = (
        figures.series(figures.QUERY_COLUMNS, first, last),
        figures.system_sums((*figures.RCODE_COLUMNS, "rcode_total"), first, last),
        figures.system_sums(figures.SOURCE_COLUMNS, first, last, letters="k"),
        plots.system_plots(first, last),
        plots.letter_plots("e", first, last),
    )
    assert from_sums == from_rows
