"""Background work of horizon scanning: run imports, retrain and re-rank projects.

Tasks take ids, fetch, call a service, and are idempotent (``nonpro worker`` runs them; the demo
starts one). ``run_import`` resumes a job where its last batch committed; ``rerank`` does nothing
when the ranking already learnt from every decision.
"""

from __future__ import annotations

from django.tasks import task

from nonpro.horizon.importing import import_process
from nonpro.horizon.ranking import project_rerank


@task()
def run_import(job_id: int) -> str:
    """Import (or resume) job ``job_id``; return its status."""
    return str(import_process(job_id).status)


@task()
def rerank(project_id: int) -> bool:
    """Retrain and re-rank project ``project_id`` if decisions arrived since its last ranking."""
    return project_rerank(project_id)
