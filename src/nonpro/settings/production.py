"""Production settings: every secret from the environment, HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from nonpro.settings.base import *  # noqa: F403
from nonpro.settings.env import env_bool, env_int, env_list, env_str

DEBUG = False
SECRET_KEY = env_str("NONPRO_SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("NONPRO_SECRET_KEY must be at least 50 random characters.")
ALLOWED_HOSTS = env_list("NONPRO_ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set NONPRO_ALLOWED_HOSTS to the host names the site answers to.")

# Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
if env_bool("NONPRO_BEHIND_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client address is the one the proxy appends to X-Forwarded-For (throttling and audit use it).
    ALLAUTH_TRUSTED_PROXY_COUNT = env_int("NONPRO_TRUSTED_PROXY_COUNT", 1)
SECURE_SSL_REDIRECT = env_bool("NONPRO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("NONPRO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("NONPRO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("NONPRO_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("NONPRO_CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS])
