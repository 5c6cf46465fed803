from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "dnscc.directory"
    label = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        from dnscc.directory import lookup

        lookup.connect_invalidation()
