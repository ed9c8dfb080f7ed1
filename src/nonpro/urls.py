"""Root URLs: every page carries its language prefix (/en/, /ar/ …)."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from nonpro.core import views as core_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", include("nonpro.api.urls")),
]
urlpatterns += i18n_patterns(
    path("", include("nonpro.core.urls")),
    path("accounts/tokens/", include("nonpro.accounts.urls_tokens")),
    path("accounts/", include("nonpro.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("experts/", include("nonpro.accounts.urls_experts")),
    path("audit/", include("nonpro.core.audit.urls")),
    path("register/", include("nonpro.register.urls")),
    path("scanning/", include("nonpro.horizon.urls")),
    path("matrices/", include("nonpro.matrices.urls")),
    path("training/", include("nonpro.training.urls")),
    path("admin/", admin.site.urls),
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

admin.site.site_header = _("Nonpro administration")
admin.site.site_title = _("Nonpro administration")
admin.site.index_title = _("Administration")
