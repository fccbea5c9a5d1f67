from django.urls import path, register_converter

from settlement import api, funds_views, payout_views, statement_views, views
from settlement.converters import OrderIdConverter

register_converter(OrderIdConverter, "order_id")

app_name = "settlement"

urlpatterns = [
    path("api/events/", api.events, name="events"),
    path("bindings/", views.binding_list, name="binding_list"),
    path("bindings/invite/", views.binding_invite, name="binding_invite"),
    path("bindings/<int:pk>/", views.binding_detail, name="binding_detail"),
    path("bindings/<int:pk>/accept/", views.binding_accept, name="binding_accept"),
    path("bindings/<int:pk>/decline/", views.binding_decline, name="binding_decline"),
    path("bindings/<int:pk>/withdraw/", views.binding_withdraw, name="binding_withdraw"),
    path("bindings/<int:pk>/end/", views.binding_end, name="binding_end"),
    path("bindings/<int:pk>/share/", views.binding_share, name="binding_share"),
    path("funds/", views.fund_account, name="fund_account"),
    path("funds/export.csv", views.fund_export, name="fund_export"),
    path("funds/orders/<order_id:order_id>/", views.fund_order, name="fund_order"),
    path("funds/statements/", statement_views.fund_statement, name="fund_statement"),
    path(
        "funds/statements/export.csv",
        statement_views.fund_statement_export,
        name="fund_statement_export",
    ),
    path("funds/top-up/", funds_views.top_up, name="top_up"),
    path("funds/payout-account/", payout_views.payout_account, name="payout_account"),
]
