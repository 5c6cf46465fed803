"""Django settings for dnscc, read from the environment (DNSCC_*) through typed helpers.

Production mode is the default. DNSCC_DEV=1 turns on development conveniences (DEBUG, a
generated secret key, loopback hosts, mail written to files). System checks in
dnscc.checks refuse a production start without a secret key or allowed hosts.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from dnscc.core import egress
from dnscc.core.errors import ConfigError
from dnscc.core.paths import data_dir
from dnscc.envsettings import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
)

DEV = env_bool("DNSCC_DEV", False)
DEBUG = DEV
DATA_DIR: Path = data_dir()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = env_secret("DNSCC_SECRET_KEY")
if not SECRET_KEY and DEV:
    # Development only: a fixed per-checkout key is acceptable; production refuses (dnscc.E001).
    SECRET_KEY = "dnscc-development-only-not-secret"  # noqa: S105

# The audit chain's HMAC key, kept outside the database (accounts.audit). Development mode
# generates one under the data directory when unset; production refuses to start without
# it (dnscc.E005). Checkpoints of the chain go to a file outside the database, appended.
AUDIT_KEY = env_secret("DNSCC_AUDIT_KEY")
AUDIT_ANCHOR_FILE = Path(env_str("DNSCC_AUDIT_ANCHOR_FILE") or DATA_DIR / "audit-anchors.jsonl")
AUDIT_ANCHOR_INTERVAL_SECONDS = env_int("DNSCC_AUDIT_ANCHOR_INTERVAL_SECONDS", 3600, minimum=0)

ALLOWED_HOSTS = env_list("DNSCC_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEV else [])
BASE_URL = env_str("DNSCC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("DNSCC_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "dnscc.accounts",
    "dnscc.directory",
    "dnscc.outreach",
    "dnscc.monitoring",
    "dnscc.rootinfo",
    "dnscc.incidents",
    "dnscc.campaigns",
    "dnscc.sharing",
    "dnscc.risk",
    "dnscc.exercises",
    "dnscc.metrics",
    "dnscc.web",
]

MIDDLEWARE = [
    "dnscc.metrics.prom.LatencyMiddleware",  # outermost: times the whole answer (/metrics)
    "dnscc.web.middleware.ClientAddressMiddleware",  # first: everything after sees the client
    "django.middleware.security.SecurityMiddleware",
    "dnscc.web.middleware.UploadLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dnscc.web.middleware.InputGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dnscc.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dnscc.web.middleware.SecurityHeadersMiddleware",
    # Innermost: its pages still get the security headers on the way out.
    "dnscc.web.middleware.ErrorPagesMiddleware",
]

ROOT_URLCONF = "dnscc.urls"
WSGI_APPLICATION = "dnscc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dnscc.web.context.portal",
            ],
            "builtins": ["dnscc.web.templatetags.portal"],
        },
    },
]

_database_url = env_secret("DNSCC_DATABASE_URL")
if _database_url:
    DATABASES = {"default": database_from_url(_database_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "dnscc.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing on upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env_choice("DNSCC_TASKS", "database", ("database", "immediate"))],
        "QUEUES": ["default", "mail"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Second factors (accounts.twofactor): roles that must use one; others may.
SECOND_FACTOR_ROLES = env_list("DNSCC_2FA_ROLES", ["admin", "coordinator"])
if set(SECOND_FACTOR_ROLES) - {"admin", "coordinator", "operator", "partner"}:
    raise ImproperlyConfigured(
        f"DNSCC_2FA_ROLES={','.join(SECOND_FACTOR_ROLES)!r}: use admin, coordinator, operator, "
        "partner (comma-separated), or leave it empty"
    )
OTP_TOTP_ISSUER = "dnscc"
# Wrong codes are slowed by the one login throttle (accounts.throttle: per account and
# address); django-otp's per-device throttle would make the right code fail for a while.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
WHITENOISE_AUTOREFRESH = DEV

# Security: secure by default; development over plain http on loopback relaxes cookies.
HTTPS = env_bool("DNSCC_HTTPS", not DEV)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("DNSCC_SESSION_SECONDS", 12 * 3600, minimum=300)
SECURE_HSTS_SECONDS = env_int("DNSCC_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DNSCC_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies whose X-Forwarded-For names the client (addresses or CIDR prefixes);
# from any other peer the header is ignored (dnscc.core.clientaddr).
TRUSTED_PROXIES = env_networks("DNSCC_TRUSTED_PROXIES")

# Uploads (directory imports): bounded. Larger bodies are refused with a clear message.
MAX_UPLOAD_BYTES = env_int("DNSCC_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 64 * 1024
# Incident attachments are kept in the database: bounded so one cannot fill it.
ATTACHMENT_MAX_BYTES = env_int("DNSCC_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Campaign name lists (text, CSV, gzip, zip) are streamed, never held whole: a larger limit;
# counted after decompression. The upload middleware lets campaign uploads through up to it.
CAMPAIGN_UPLOAD_MAX_BYTES = env_int(
    "DNSCC_CAMPAIGN_UPLOAD_MAX_BYTES", 512 * 1024 * 1024, minimum=1024
)
# DNS verification of campaign outcomes: politeness towards each TLD server (queries per
# second per server address), how often active campaigns are re-verified (0: off), and how
# often late slices are escalated (0: off).
CAMPAIGN_VERIFY_RATE = env_int("DNSCC_CAMPAIGN_VERIFY_RATE", 50, minimum=1, maximum=100_000)
CAMPAIGN_VERIFY_INTERVAL_SECONDS = env_int(
    "DNSCC_CAMPAIGN_VERIFY_INTERVAL_SECONDS", 6 * 3600, minimum=0
)
CAMPAIGN_ESCALATE_INTERVAL_SECONDS = env_int(
    "DNSCC_CAMPAIGN_ESCALATE_INTERVAL_SECONDS", 900, minimum=0
)

# Sharing (docs/sharing.md): partner bundles and MISP documents are streamed, never held
# whole: their own limit, counted as read. Feeds are polled every SHARING_POLL_SECONDS (0: off).
SHARING_IMPORT_MAX_BYTES = env_int(
    "DNSCC_SHARING_IMPORT_MAX_BYTES", 512 * 1024 * 1024, minimum=1024
)
SHARING_POLL_SECONDS = env_int("DNSCC_SHARING_POLL_SECONDS", 3600, minimum=0)

# Directory
# A root zone import that would undelegate more than this share of the delegated TLDs is
# refused unless --allow-shrink (a copy cut short looks like a namespace that shrank).
ROOTZONE_MAX_SHRINK_PERCENT = env_int(
    "DNSCC_ROOTZONE_MAX_SHRINK_PERCENT", 2, minimum=0, maximum=100
)
# dnscc import rootzone --url/--axfr: bounds of the fetch, and the authorities for HTTPS
# (empty: the system's certificates).
ROOTZONE_MAX_DOWNLOAD_BYTES = env_int(
    "DNSCC_ROOTZONE_MAX_DOWNLOAD_BYTES", 64 << 20, minimum=1 << 20
)
ROOTZONE_FETCH_TIMEOUT = env_int("DNSCC_ROOTZONE_FETCH_TIMEOUT_SECONDS", 60, minimum=1)
ROOTZONE_CA_FILE = env_str("DNSCC_ROOTZONE_CA_FILE")
CONTACT_VERIFY_DAYS = env_int("DNSCC_CONTACT_VERIFY_DAYS", 180, minimum=1)
CONTACT_TOKEN_HOURS = env_int("DNSCC_CONTACT_TOKEN_HOURS", 72, minimum=1)

# Every outbound message goes through the outbox (dnscc.outreach), never Django's mailer.
DEFAULT_FROM_EMAIL = env_str("DNSCC_FROM_EMAIL", "dnscc@localhost")

# Outreach: the one outbox (docs/outreach.md). SMTP is the center's relay (smarthost).
OUTREACH_SMTP_HOST = env_str("DNSCC_SMTP_HOST", "localhost")
OUTREACH_SMTP_PORT = env_int("DNSCC_SMTP_PORT", 25, minimum=1, maximum=65535)
OUTREACH_SMTP_USER = env_str("DNSCC_SMTP_USER")
OUTREACH_SMTP_PASSWORD = env_secret("DNSCC_SMTP_PASSWORD")
OUTREACH_SMTP_CONNECTIONS = env_int("DNSCC_SMTP_CONNECTIONS", 4, minimum=1, maximum=64)
OUTREACH_SMTP_TIMEOUT = env_int("DNSCC_SMTP_TIMEOUT_SECONDS", 30, minimum=1)
# TLS to the relay: "starttls" upgrades whenever the relay offers it (and fails rather than
# fall back to clear text when the upgrade fails), "required" refuses a relay that does not
# offer it, "implicit" speaks TLS from the first byte (SMTPS, port 465), "off" never (a
# relay on loopback). Certificates are verified against the system store, or DNSCC_SMTP_CA_FILE.
OUTREACH_SMTP_TLS = env_choice(
    "DNSCC_SMTP_TLS", "starttls", ("starttls", "required", "implicit", "off")
)
OUTREACH_SMTP_CA_FILE = env_str("DNSCC_SMTP_CA_FILE")
if OUTREACH_SMTP_CA_FILE and not Path(OUTREACH_SMTP_CA_FILE).is_file():
    raise ImproperlyConfigured(
        f"DNSCC_SMTP_CA_FILE={OUTREACH_SMTP_CA_FILE!r} is not a file (PEM certificates of the "
        "authorities that sign the relay's certificate)"
    )
OUTREACH_BOUNCE_DOMAIN = env_str("DNSCC_BOUNCE_DOMAIN", DEFAULT_FROM_EMAIL.rpartition("@")[2])
OUTREACH_MAX_ATTEMPTS = env_int("DNSCC_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTREACH_BACKOFF_SECONDS = env_int("DNSCC_OUTBOX_BACKOFF_SECONDS", 30, minimum=0)
OUTREACH_LEASE_SECONDS = env_int("DNSCC_OUTBOX_LEASE_SECONDS", 300, minimum=1)
OUTREACH_CONCURRENCY = env_int("DNSCC_OUTBOX_CONCURRENCY", 8, minimum=1, maximum=256)
OUTREACH_AUTODRAIN = env_bool("DNSCC_OUTBOX_AUTODRAIN", True)
OUTREACH_RATE_PER_RECIPIENT = env_int("DNSCC_RATE_PER_RECIPIENT_PER_MINUTE", 60, minimum=1)
OUTREACH_RATE_PER_HOST = env_int("DNSCC_RATE_PER_HOST_PER_SECOND", 100, minimum=1)
OUTREACH_WEBHOOK_TIMEOUT = env_int("DNSCC_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Production refuses webhooks to loopback and private addresses; development allows them.
OUTREACH_WEBHOOK_ALLOW_PRIVATE = env_bool("DNSCC_WEBHOOK_ALLOW_PRIVATE", DEV)
OUTREACH_WEBHOOK_SECRET = env_secret("DNSCC_WEBHOOK_SECRET")
OUTREACH_PGP_KEY_FILE = env_str("DNSCC_PGP_KEY_FILE")
# Encrypted mail carries its Subject inside (RFC 9788); the outside shows "[...]".
OUTREACH_PGP_PROTECT_HEADERS = env_bool("DNSCC_PGP_PROTECT_HEADERS", True)
OUTREACH_UNUSABLE_KEY_POLICY = env_choice(
    "DNSCC_PGP_UNUSABLE_KEY_POLICY", "signed", ("signed", "hold")
)
# The scheduler drains the outbox whenever a message is due (retries at their due time),
# checking every OUTBOX_DRAIN_CHECK_SECONDS; 0 turns the periodic drain off.
OUTREACH_DRAIN_CHECK_SECONDS = env_int("DNSCC_OUTBOX_DRAIN_CHECK_SECONDS", 5, minimum=0)
# A channel (the SMTP relay, a webhook host) failing for longer than this shows a banner on
# every staff page and makes `dnscc outreach status` exit 69.
OUTREACH_HEALTH_ALERT_SECONDS = env_int("DNSCC_OUTBOX_ALERT_SECONDS", 300, minimum=0)
# Where the demo's mail catcher (`dnscc outreach catcher`, started by scripts/run) keeps
# what it accepts; the "Demo mailbox" page (development mode only) reads it.
DEMO_MAILBOX_DIR = Path(env_str("DNSCC_DEMO_MAILBOX", str(DATA_DIR / "mailbox")))
OUTREACH_FOLLOWUP_HOURS = env_int("DNSCC_FOLLOWUP_HOURS", 24, minimum=1)
OUTREACH_FOLLOWUP_MAX = env_int("DNSCC_FOLLOWUP_MAX", 2, minimum=0)
OUTREACH_CSAF_VALIDATOR = env_str("DNSCC_CSAF_VALIDATOR")  # validate.js; default: tools/ checkout
OUTREACH_CSAF_REQUIRE_VALIDATOR = env_bool("DNSCC_CSAF_REQUIRE_VALIDATOR", True)
OUTREACH_CSAF_PUBLISHER = env_str("DNSCC_CSAF_PUBLISHER", "dnscc DNS security coordination center")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env_str("DNSCC_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The PDF renderer narrates every step at INFO: only its warnings are worth a line.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Egress: the one rule for where the center may send packets (probe, verifier, webhooks,
# mail, root zone fetch): DNSCC_PROBE_NETWORKS, loopback only in development and the demo,
# public unicast in production (dnscc.core.egress, docs/security.md).
try:
    EGRESS_POLICY = egress.from_environment()
except ConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None
egress.install(EGRESS_POLICY)

# Monitoring: sweeps of the root and every TLD (docs/monitoring.md).
ROOT_HINTS = env_str("DNSCC_ROOT_HINTS")  # empty: the lab's hints when a lab is running
TRUST_ANCHOR = env_str("DNSCC_TRUST_ANCHOR")
PROBE_PROFILE = env_str("DNSCC_PROBE_PROFILE")  # empty: the shipped profile
SWEEP_INTERVAL_SECONDS = env_int("DNSCC_SWEEP_INTERVAL_SECONDS", 900, minimum=0)  # 0: off
# Incidents: the SLA profile (targets per severity, escalation ladder; docs/incidents.md).
SLA_PROFILE = env_str("DNSCC_SLA_PROFILE")  # empty: the shipped incidents/sla.toml
# Exercises: the objectives they are scored on (docs/exercises.md).
EXERCISE_PROFILE = env_str("DNSCC_EXERCISE_PROFILE")  # empty: the shipped profile.toml
ALERT_MIN_SEVERITY = env_choice(
    "DNSCC_ALERT_SEVERITY", "error", ("info", "notice", "warning", "error", "critical")
)
# Advisories: the author of a version may not publish it (docs/outreach.md); a one-person
# center turns this off (system check dnscc.W002 says so).
ADVISORY_TWO_PERSON = env_bool("DNSCC_ADVISORY_TWO_PERSON", True)
# The duty console lists what falls due within this many hours (docs/incidents.md).
CONSOLE_DUE_HOURS = env_int("DNSCC_CONSOLE_DUE_HOURS", 4, minimum=1)

# Root server information: RSSAC002 ingestion and RSSAC047 measurements (docs/rootinfo.md).
RSSAC002_MAX_DOWNLOAD_BYTES = env_int("DNSCC_RSSAC002_MAX_DOWNLOAD_BYTES", 1 << 30, minimum=1 << 20)
RSSAC002_FETCH_TIMEOUT = env_int("DNSCC_RSSAC002_FETCH_TIMEOUT_SECONDS", 60, minimum=1)
RSSAC002_CA_FILE = env_str("DNSCC_RSSAC002_CA_FILE")  # empty: the system's certificates
RSSAC002_URL = env_str("DNSCC_RSSAC002_URL")  # fetched daily when set; empty: off
ROOTINFO_PROFILE = env_str("DNSCC_ROOTINFO_PROFILE")  # empty: the shipped rootinfo/profile.toml
RSSAC047_INTERVAL_SECONDS = env_int("DNSCC_RSSAC047_INTERVAL_SECONDS", 300, minimum=0)  # 0: off

# Intake: reports from the public form, the API and mail (see docs/incidents.md).
REPORT_MAX_BYTES = env_int("DNSCC_REPORT_MAX_BYTES", 64 * 1024, minimum=1024)
REPORT_RATE = env_str("DNSCC_REPORT_RATE", "5/hour")  # per client IP, public form; N/unit
INBOUND_REPORTS_ADDRESS = env_str("DNSCC_INBOUND_REPORTS_ADDRESS")  # empty: reports@<bounce dom>

# Risk: constituent surveys (docs/risk.md). Silent organisations of an open round are
# reminded every SURVEY_REMINDER_DAYS, at most SURVEY_MAX_REMINDERS times.
SURVEY_REMINDER_DAYS = env_int("DNSCC_SURVEY_REMINDER_DAYS", 7, minimum=1)
SURVEY_MAX_REMINDERS = env_int("DNSCC_SURVEY_MAX_REMINDERS", 2, minimum=0, maximum=10)

# Metrics: the objectives profile (docs/metrics.md); empty: the shipped metrics/objectives.toml.
METRICS_OBJECTIVES = env_str("DNSCC_METRICS_OBJECTIVES")
# The bearer token Prometheus sends to /metrics; empty: nobody may read it.
METRICS_TOKEN = env_secret("DNSCC_METRICS_TOKEN")
# The public transparency report suppresses figures resting on fewer rows than this.
TRANSPARENCY_MIN_CELL = env_int("DNSCC_TRANSPARENCY_MIN_CELL", 5, minimum=1)
