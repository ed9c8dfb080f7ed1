"""Framework-free horizon-scanning library: readers, normalisation, deduplication, screening.

Nothing here imports Django or another Nonpro app (an import-linter contract enforces it);
``nonpro.horizon`` adapts it to the database. Its contents arrive with the scanning issue.
"""
