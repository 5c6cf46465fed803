"""Who acts in an unattended exercise, as the center's services see them.

The plan's automatic steps are taken by the account `exercise-runner` (a coordinator whose
password nobody knows), and the simulated operators by `exercise-simcell` (an operator
account), each time on behalf of one organisation. Their audit and timeline entries name
the exercise and, for an operator, the organisation it stands in for
("simcell:registry-of-nl (EX-0007)"), so nothing they do passes for a person's act.
"""

from __future__ import annotations

from typing import Any

from dnscc.accounts import audit
from dnscc.core.exercise_mark import ref_of
from dnscc.core.tlp import Role, Viewer

RUNNER = "exercise-runner"
SIMCELL = "exercise-simcell"


def _account(username: str) -> Any:
    """A login-less user (inactive, no usable password, no account role: the role is the
    Viewer's), created on first use; audited."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    user = model.objects.filter(username=username).first()
    if user is None:
        user = model.objects.create_user(username=username, password=None, is_active=False)
        audit.record(
            audit.SYSTEM,
            "user.create",
            obj=user,
            summary=f"created {username}: acts for exercises, cannot log in",
        )
    return user


def runner_user() -> Any:
    return _account(RUNNER)


def runner(exercise_id: int, step: str = "") -> tuple[Viewer, audit.Actor, Any]:
    """(viewer, actor, user) of the center's automatic steps in an exercise."""
    user = runner_user()
    name = f"{RUNNER} ({ref_of(exercise_id)}{', ' + step if step else ''})"
    return Viewer(user_id=user.pk, role=Role.COORDINATOR), audit.Actor(name[:150]), user


def simcell(exercise_id: int, organization: Any) -> tuple[Viewer, audit.Actor]:
    """(viewer, actor) of the simulated operator of `organization` in an exercise."""
    user = _account(SIMCELL)
    viewer = Viewer(user_id=user.pk, role=Role.OPERATOR, organization_id=organization.pk)
    name = f"simcell:{organization.slug} ({ref_of(exercise_id)})"
    return viewer, audit.Actor(name[:150])
