"""Development and demo settings: debug on, e-mail printed to the console."""

from nonpro.settings.base import *  # noqa: F403
from nonpro.settings.env import env_bool, env_str

DEBUG = env_bool("NONPRO_DEBUG", True)
# A fixed key is acceptable only because this module never serves production.
SECRET_KEY = env_str("NONPRO_SECRET_KEY", "dev-only-not-secret-0b7d1d4c9a9e4f2c8e3f5a6b7c8d9e0f1a2b3c4d5e6f")
MAILERS = {"default": {"BACKEND": env_str("NONPRO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}}
# The demo serves 127.0.0.1 only: hashed names without the brotli and gzip copies, which made
# `nonpro demo` spend about 16 s compressing. Production (base settings) keeps the compression.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # noqa: F405
# The demo's literature files are written here, so that "Import from the server" has something to offer.
_DEMO_IMPORTS = str(DATA_DIR / "horizon" / "server")  # noqa: F405
HORIZON_SERVER_DIRS = [item for item in env_str("NONPRO_HORIZON_SERVER_DIRS", _DEMO_IMPORTS).split(":") if item]
