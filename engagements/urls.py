"""A country's engagement pages, mounted under /c/<code>/engagement/ by portal/urls.py."""

from django.urls import path

from engagements import views

app_name = "engagement"

urlpatterns = [
    path("", views.engagement_home, name="home"),
    path("new/", views.engagement_new, name="new"),
    path("<int:pk>/", views.engagement_detail, name="detail"),
    path("<int:pk>/terms/", views.engagement_terms, name="terms"),
    path("<int:pk>/diff/", views.engagement_diff, name="diff"),
    path("<int:pk>/messages/", views.engagement_message, name="message"),
    path("<int:pk>/messages/attachments/<int:attachment>/", views.engagement_attachment, name="attachment"),
    path("<int:pk>/<str:action>/", views.engagement_action, name="action"),
]
