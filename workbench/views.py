"""Workbench views: the page every merchant, creator and agency lands on."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_operator:
        return redirect("admin:index")
    return render(request, "workbench/home.html")
