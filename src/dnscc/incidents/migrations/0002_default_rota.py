"""The default follow-the-sun rota (desks.DEFAULT_ROTA), created once at install so that
looking at the desks (GET) never has to create them."""

from typing import Any

from django.db import migrations


def create_rota(apps: Any, schema_editor: Any) -> None:
    from dnscc.incidents.desks import create_default_rota

    create_default_rota(apps.get_model("incidents", "Desk"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(create_rota, migrations.RunPython.noop)]
