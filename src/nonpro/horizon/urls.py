from django.urls import path

from nonpro.horizon import views

app_name = "horizon"
urlpatterns = [
    path("", views.index, name="index"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/upload/", views.import_upload, name="upload"),
    path("projects/<int:project_id>/server-import/", views.import_server, name="server_import"),
    path("projects/<int:project_id>/feed-import/", views.import_feed, name="feed_import"),
    path("projects/<int:project_id>/screen/", views.screen, name="screen"),
    path("projects/<int:project_id>/screen/skips/", views.skips_clear, name="skips_clear"),
    path("projects/<int:project_id>/records/", views.candidate_list, name="candidates"),
    path("imports/<int:job_id>/", views.import_detail, name="import"),
    path("imports/<int:job_id>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:job_id>/cancel/", views.import_cancel, name="import_cancel"),
    path("imports/<int:job_id>/resume/", views.import_resume, name="import_resume"),
    path("records/<int:candidate_id>/", views.candidate_detail, name="candidate"),
    path("records/<int:candidate_id>/decide/", views.candidate_decide, name="decide"),
    path("records/<int:candidate_id>/skip/", views.candidate_skip, name="skip"),
    path("records/<int:candidate_id>/note/", views.candidate_note, name="note"),
    path("records/<int:candidate_id>/promote/", views.candidate_promote, name="promote"),
    path("records/<int:candidate_id>/link/", views.candidate_link, name="link"),
]
