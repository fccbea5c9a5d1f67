from django.urls import path

from workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/todos/", views.todos, name="todos"),
    path("help/", views.help_index, name="help_index"),
    path("help/<slug:slug>/", views.help_article, name="help_article"),
    path("cases/", views.case_index, name="case_index"),
    path("cases/<slug:slug>/", views.case_detail, name="case_detail"),
]
