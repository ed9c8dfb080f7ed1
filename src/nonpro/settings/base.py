"""Settings shared by every environment; each value can come from ``NONPRO_*`` variables."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from nonpro.settings.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("NONPRO_DATA_DIR", "var")).resolve()

SECRET_KEY = env_str("NONPRO_SECRET_KEY", "")
DEBUG = env_bool("NONPRO_DEBUG", False)
ALLOWED_HOSTS = env_list("NONPRO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "nonpro.core",
    "nonpro.core.audit",
    "nonpro.accounts",
    "nonpro.register",
    "nonpro.horizon",
    "nonpro.matrices",
    "nonpro.training",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's MFA and session templates use it
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "nonpro.core.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "nonpro.accounts.middleware.SessionTimeoutMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "nonpro.accounts.middleware.MfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "nonpro.urls"
WSGI_APPLICATION = "nonpro.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nonpro.core.context_processors.site",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, object]:
    """Return a ``DATABASES`` entry for ``url``; SQLite gets WAL, a busy timeout and immediate writes."""
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # Foreign keys are always on in Django's SQLite backend; WAL lets readers
            # run beside a writer, IMMEDIATE avoids lock-upgrade deadlocks. Memory-mapped reads
            # and a larger page cache keep searches of a large register off the read() path
            # (benchmarks/README.md); sorts stay in memory.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824; "
                "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        config["CONN_MAX_AGE"] = env_int("NONPRO_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASE_URL = env_str("NONPRO_DATABASE_URL", f"sqlite:///{DATA_DIR / 'nonpro.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "nonpro.accounts.backends.PolicyPermissionBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "core:home"
# Accounts (django-allauth): e-mail is the sign-in name and must be verified.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Nonpro"
USERSESSIONS_TRACK_ACTIVITY = True

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "nonpro.accounts.forms.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The six official languages of the United Nations, in their own names' order of the UN.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("ar", _("Arabic")),
    ("zh-hans", _("Chinese")),
    ("en", _("English")),
    ("fr", _("French")),
    ("ru", _("Russian")),
    ("es", _("Spanish")),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_COOKIE_SECURE = False
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760

# Horizon scanning: uploaded literature files are kept here while (and after) they are imported;
# analysts may import files from the server's import folders (colon-separated, none by default).
HORIZON_UPLOAD_DIR = Path(env_str("NONPRO_HORIZON_UPLOAD_DIR", str(DATA_DIR / "horizon" / "uploads"))).resolve()
HORIZON_UPLOAD_MAX_BYTES = env_int("NONPRO_HORIZON_UPLOAD_MAX_BYTES", 1_000_000_000)
HORIZON_SERVER_DIRS = [item for item in env_str("NONPRO_HORIZON_SERVER_DIRS", "").split(":") if item]
# Feed URLs (for deployments with internet access; off by default, the platform runs air-gapped):
# analysts may import from addresses on these hosts only, fetched by the import task.
HORIZON_FEED_HOSTS = env_list("NONPRO_HORIZON_FEED_HOSTS", [])
HORIZON_FEED_TIMEOUT = env_int("NONPRO_HORIZON_FEED_TIMEOUT", 60)

# Background work: the database queue by default (`nonpro worker`); NONPRO_TASKS_BACKEND=rq
# moves the same tasks to RQ + Redis (`nonpro manage rqworker default`).
TASKS_BACKEND = env_str("NONPRO_TASKS_BACKEND", "database")
REDIS_URL = env_str("NONPRO_REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS: dict[str, dict[str, object]]
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"NONPRO_TASKS_BACKEND={TASKS_BACKEND!r}: use 'database' or 'rq'.")

# Content-Security-Policy: same origin only, scripts need the per-response nonce, no inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# The platform's public address: links in e-mails (digests, reminders) start with it.
SITE_URL = env_str("NONPRO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# E-mail through Django 6.1's MAILERS; the "default" mailer sends everything.
EMAIL_BACKEND_PATH = env_str("NONPRO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
_smtp_options: dict[str, object] = {
    "host": env_str("NONPRO_EMAIL_HOST", "localhost"),
    "port": env_int("NONPRO_EMAIL_PORT", 25),
    "username": env_str("NONPRO_EMAIL_HOST_USER", ""),
    "password": env_str("NONPRO_EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_bool("NONPRO_EMAIL_USE_TLS", False),
    "use_ssl": env_bool("NONPRO_EMAIL_USE_SSL", False),
    "timeout": env_int("NONPRO_EMAIL_TIMEOUT", 30),
}
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": _smtp_options if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("NONPRO_DEFAULT_FROM_EMAIL", "Nonpro <nonpro@localhost>")
SERVER_EMAIL = env_str("NONPRO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("NONPRO_LOG_LEVEL", "INFO")},
}


# --- accounts: sessions, throttling, MFA enforcement (identity issue) -------------------------

ACCOUNT_ADAPTER = "nonpro.accounts.adapter.AccountAdapter"
# Changing e-mail, password or MFA asks for the password (or an MFA code) again when the last
# authentication is older than ACCOUNT_REAUTHENTICATION_TIMEOUT seconds.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the person by e-mail when their password or e-mail address changed
# No "remember me": the session cookie ends with the browser, and the timeouts below apply anyway.
ACCOUNT_SESSION_REMEMBER = False
MFA_RECOVERY_CODE_COUNT = 10
# WebAuthn needs a secure context: https, or http://localhost (not http://127.0.0.1) for the demo.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
MFA_PASSKEY_LOGIN_ENABLED = False

# Sessions: signed out after SESSION_IDLE_TIMEOUT seconds without a request and, whatever the
# activity, SESSION_ABSOLUTE_TIMEOUT seconds after sign-in (nonpro.accounts.middleware).
SESSION_IDLE_TIMEOUT = env_int("NONPRO_SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("NONPRO_SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)
if not 0 < SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_TIMEOUT:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "NONPRO_SESSION_IDLE_TIMEOUT must be positive and at most NONPRO_SESSION_ABSOLUTE_TIMEOUT (seconds)."
    )
# The stored session (and a remembered cookie) outlives the last request by the idle timeout only.
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT

# Throttling (allauth rate limits, kept in the default cache). Failed sign-ins are counted per
# client IP address and per (account + IP address) — never per account alone, so that nobody can
# lock someone else out by failing on purpose from their own address. "5/5m/key" means five failed
# attempts in five minutes; the key of "login_failed" is the account and the IP address together
# (nonpro.accounts.adapter.AccountAdapter). A successful sign-in does not count as a failure.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,60/h/ip,5/5m/key",
    "signup": "20/m/ip,100/d/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/3m/key",
}
# Behind N trusted reverse proxies, the client address is the N-th from the right of X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("NONPRO_TRUSTED_PROXY_COUNT", 0)

# The cache holds rate-limit counters and used TOTP codes: memory of one process by default; set
# NONPRO_CACHE_URL=redis://… when several processes serve the site, so that they share the counts.
CACHE_URL = env_str("NONPRO_CACHE_URL", "")
CACHES: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://", "unix://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "nonpro-default"}
    )
}

# --- audit log: signing key and checkpoints ---------------------------------------------------
# The Ed25519 key that signs checkpoints lives outside the database (docs/audit.md); the public
# key is beside it with the suffix ".pub". AUDIT_ORIGIN names this log in every checkpoint note.
AUDIT_SIGNING_KEY_FILE = Path(env_str("NONPRO_AUDIT_KEY_FILE", str(DATA_DIR / "keys" / "audit-ed25519.pem"))).resolve()
AUDIT_ORIGIN = env_str("NONPRO_AUDIT_ORIGIN", ALLOWED_HOSTS[0] if ALLOWED_HOSTS else "nonpro")

# --- API (django-ninja) and tokens -------------------------------------------------------------

# django-ninja as an app only so that its bundled Swagger UI files are served from here, and
# nonpro.api for its page template: the API documentation at /api/v1/docs works air-gapped and
# under the strict CSP (no CDN, no inline script).
INSTALLED_APPS += ["ninja", "nonpro.api"]
NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 500
# Personal API tokens: `last_used_at` is written at most this often, a token's use and its
# rejections are audited at most once per interval (a replayed leaked token cannot flood the log).
API_TOKEN_LAST_USED_RESOLUTION = env_int("NONPRO_API_TOKEN_LAST_USED_RESOLUTION", 60)
API_TOKEN_AUDIT_INTERVAL = env_int("NONPRO_API_TOKEN_AUDIT_INTERVAL", 3600)

# --- policy -----------------------------------------------------------------------------------

# Need-to-know grants (RESTRICTED tier) and their renewals run for at most this many days.
NEED_TO_KNOW_MAX_DAYS = env_int("NONPRO_NEED_TO_KNOW_MAX_DAYS", 90)
