import contextlib
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings


class AccountsConfig(AppConfig):
    name = "dnscc.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from dnscc.accounts import signals

        signals.connect()
        connection_created.connect(private_sqlite_files, dispatch_uid="dnscc-private-sqlite")


def private_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The embedded database holds password hashes and contacts: its files are the owner's
    alone (0600, the data directory 0700), whatever the umask said when they were made."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name.startswith("file:") or ":memory:" in name:
        return
    path = Path(name)
    with contextlib.suppress(OSError):
        if path.parent == Path(settings.DATA_DIR) and path.parent.stat().st_mode & 0o077:
            path.parent.chmod(0o700)
        for suffix in ("", "-wal", "-shm"):
            part = path.with_name(path.name + suffix)
            if part.exists() and part.stat().st_mode & 0o077:
                part.chmod(0o600)
