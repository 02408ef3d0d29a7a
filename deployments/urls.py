"""A country's deployments pages, mounted under /c/<code>/deployments/ by portal/urls.py."""

from django.urls import path

from . import environment_views, views

app_name = "deployments"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.request_new, name="new"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/progress.json", views.request_progress, name="progress"),
    path("<int:pk>/edit/", views.request_edit, name="edit"),
    path("<int:pk>/delete/", views.request_delete, name="delete"),
    path("<int:pk>/messages/", views.request_message, name="message"),
    path("<int:pk>/messages/attachments/<int:attachment>/", views.request_attachment, name="attachment"),
    path("<int:pk>/retry/", views.request_retry, name="retry"),
    path("<int:pk>/<str:action>/", views.request_action, name="action"),
    path("environments/<int:pk>/", environment_views.environment_detail, name="environment"),
    path("environments/<int:pk>/reveal/", environment_views.environment_reveal, name="reveal"),
    path("environments/<int:pk>/rotate/", environment_views.environment_rotate, name="rotate"),
    path("environments/<int:pk>/usage/", environment_views.environment_usage, name="usage"),
    path("environments/<int:pk>/calls/<str:action>/", environment_views.environment_calls, name="calls"),
    path("environments/<int:pk>/capture/", environment_views.environment_capture, name="capture"),
    path("servers/", environment_views.upstream_list, name="upstreams"),
    path("servers/<int:pk>/remove/", environment_views.upstream_remove, name="upstream_remove"),
]
