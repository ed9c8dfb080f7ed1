"""The tamper-evident audit log (Django app label ``audit``): who did what, when, from where."""
