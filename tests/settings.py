"""Settings for the test suite: the real settings module, read with a test environment."""

import os
import tempfile

os.environ.setdefault("DNSCC_DEV", "1")
os.environ.setdefault("DNSCC_DATA_DIR", tempfile.mkdtemp(prefix="dnscc-test-"))
os.environ.setdefault("DNSCC_TASKS", "immediate")
# The scheduler writes no audit checkpoints into the shared test data directory; the
# anchor tests write theirs to their own files.
os.environ.setdefault("DNSCC_AUDIT_ANCHOR_INTERVAL_SECONDS", "0")
# Second factors are optional in the suite, so that every test logging in with a password or
# force_login keeps working; tests/accounts/test_second_factor.py enforces them itself.
os.environ.setdefault("DNSCC_2FA_ROLES", "")

from dnscc.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
