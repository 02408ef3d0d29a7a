"""The Celery application of the portal; tasks live in each app's tasks.py, and in the tasks.py of
each room of the foundation (tenants/<room>/tasks.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tenants.record", "tenants.keys", "tenants.jobs", "tenants.notifications", "tenants.identity"])
