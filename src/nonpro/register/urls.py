from django.urls import path

from nonpro.register import views

app_name = "register"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:rsd_id>/", views.entry_detail, name="entry"),
    path("<str:rsd_id>/history/", views.entry_history, name="history"),
]
