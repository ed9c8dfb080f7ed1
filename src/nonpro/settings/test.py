"""Test settings: SQLite by default, PostgreSQL when ``NONPRO_TEST_DATABASE_URL`` is set."""

import os
import tempfile
from pathlib import Path

from nonpro.settings.base import *  # noqa: F403
from nonpro.settings.base import database_from_url

DEBUG = False
SECRET_KEY = "test-only-not-secret-5f4e3d2c1b0a99887766554433221100ffeeddccbbaa"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
_test_url = os.environ.get("NONPRO_TEST_DATABASE_URL", "sqlite:///:memory:")
DATABASES = {"default": database_from_url(_test_url)}
if _test_url.startswith("sqlite"):
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the apps directly; tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Uploaded literature files of the horizon tests go to a directory of this run, never to var/.
HORIZON_UPLOAD_DIR = Path(tempfile.mkdtemp(prefix="nonpro-test-uploads-"))
