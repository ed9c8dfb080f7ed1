from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Describe the section until its issue lands (a page, not a dead link)."""
    return render(request, "register/index.html")
