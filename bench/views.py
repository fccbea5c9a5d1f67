"""The bare baseline view: a small template, no database query of its own."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render


@login_not_required
def bare(request):
    return render(request, "bench/bare.html", {"items": range(20)})
