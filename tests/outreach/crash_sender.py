"""Child process of the crash test: `setup N` queues a notice to N organisations in a fresh
database; `send` drains the outbox (and is killed with SIGKILL at random points)."""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dnscc.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from dnscc.accounts import audit
    from dnscc.core.tlp import Role, Viewer
    from dnscc.outreach import services, sinks
    from dnscc.outreach.sender import drain

    if sys.argv[1] == "setup":
        call_command("migrate", verbosity=0)
        orgs = sinks.populate(int(sys.argv[2]), prefix="crash")
        services.notify(
            Viewer(user_id=1, role=Role.COORDINATOR),
            audit.Actor("crash-test"),
            kind="notice",
            context={
                "title": "Crash test",
                "text": "One notice per recipient.",
                "tlp": "TLP:AMBER",
            },
            organizations=orgs,
        )
        return 0
    if sys.argv[1] == "send":
        print(drain().as_dict(), flush=True)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
