"""The JSON API: assembles each app's ``api.py`` router into ``/api/v1/``."""
