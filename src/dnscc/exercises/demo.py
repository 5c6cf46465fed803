"""The demo's exercises (with the lab): one short Conficker C exercise run to its end, with
a hot wash, an improvement item and its after-action report, and one ready to run.

Six of Conficker C's TLDs the demo lab has; their registries' security contacts get a
contact who opted in to exercises for every other one (mail to the others is recorded as
"would have sent"). Idempotent: nothing is made twice (found by title).
"""

from __future__ import annotations

from typing import Any

from dnscc.accounts import audit

FINISHED_TITLE = "Conficker C drill: six registries, 300 names (demo)"
READY_TITLE = "Conficker C drill, second run (demo, ready to run)"
TLDS = 6
NAMES = 300
TIME_SCALE = 600.0  # ten scenario minutes a real second: the two-hour window in 12 s


def _contacts(tlds: list[str]) -> None:
    """Each registry of `tlds` has a security contact; every other one opted in."""
    from dnscc.directory import lookup
    from dnscc.directory.models import Contact, Tld

    for i, tld in enumerate(tlds):
        org = Tld.objects.filter(name=tld).select_related("operator").first()
        if org is None or org.operator is None:
            continue
        email = f"exercises@nic.{tld}.example"
        Contact.objects.update_or_create(
            organization=org.operator,
            email=email,
            defaults={"name": "Exercise contact", "exercise_opt_in": i % 2 == 0},
        )
    lookup.invalidate()


def load_exercises_demo(viewer: Any, actor: audit.Actor, *, with_lab: bool) -> list[str]:
    """What the demo did, as lines (nothing without the lab: an exercise acts on it)."""
    from dnscc.core.dga.conficker_c import TLDS as C_TLDS
    from dnscc.exercises import runner, services
    from dnscc.exercises.lab import lab_plan
    from dnscc.exercises.models import Exercise

    if not with_lab:
        return ["exercises: none without the lab (`dnscc demo --lab` runs one)"]
    done: list[str] = []
    plan = lab_plan()
    tlds = [t for t in C_TLDS if t in plan.tlds][:TLDS]
    _contacts(tlds)
    parameters = {"tlds": TLDS, "names": NAMES, "candidate_tlds": tlds}
    finished = Exercise.objects.filter(title=FINISHED_TITLE).first()
    if finished is None:
        finished = services.create_exercise(
            viewer,
            actor,
            scenario_id="conficker-c",
            title=FINISHED_TITLE,
            parameters=parameters,
            time_scale=TIME_SCALE,
            seed=2009,
        )
        services.start(viewer, actor, finished)
        finished = runner.run(finished, timeout=300, tick_seconds=0.2, drain=True)
        if finished.status == Exercise.FINISHED:
            services.add_hot_wash(
                viewer,
                actor,
                finished,
                {
                    "went_well": "Every registry that takes part had its notice within seconds.",
                    "went_badly": "Registries without an exercise contact were only simulated.",
                    "to_improve": "Ask every registry for an exercise contact before the next run.",
                },
            )
            services.add_improvement(
                viewer,
                actor,
                finished,
                {
                    "text": "Collect an exercise contact from every Conficker C registry",
                    "objective": "time_to_all_notified",
                },
            )
        done.append(
            f"exercise {finished.ref}: Conficker C on {TLDS} lab TLDs, {finished.status}; "
            f"after-action report at /exercises/{finished.ref}/report/"
        )
    if not Exercise.objects.filter(title=READY_TITLE).exists():
        ready = services.create_exercise(
            viewer,
            actor,
            scenario_id="conficker-c",
            title=READY_TITLE,
            parameters=parameters,
            time_scale=TIME_SCALE,
            seed=2010,
        )
        done.append(f"exercise {ready.ref}: ready to run at /exercises/{ready.ref}/")
    return done
