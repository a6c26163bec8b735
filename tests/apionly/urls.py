from django.urls import path

from tests.apionly import views

urlpatterns = [path("api/publish/", views.PublishView.as_view())]
