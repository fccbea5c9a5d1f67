"""Cooperation URLs: products, plaza, creator homepages, hot products, cart (and tasks)."""

from django.urls import path

from cooperation.views import (
    cart,
    hot,
    images,
    plans,
    plaza,
    products,
    samples,
    scorecards,
    tasks,
)

app_name = "cooperation"

urlpatterns = [
    # 我的商品 (merchants)
    path("products/", products.product_list, name="product_list"),
    path("products/new/", products.product_create, name="product_create"),
    path("products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("products/<int:pk>/archive/", products.product_archive, name="product_archive"),
    path("products/<int:pk>/unarchive/", products.product_unarchive, name="product_unarchive"),
    path("products/<int:pk>/images/", images.product_images, name="product_images"),
    path(
        "products/<int:pk>/images/<int:image_pk>/move/",
        images.product_image_move,
        name="product_image_move",
    ),
    path(
        "products/<int:pk>/images/<int:image_pk>/remove/",
        images.product_image_remove,
        name="product_image_remove",
    ),
    # 推广计划 (merchants: their products' plans and the applications to them)
    path("products/<int:pk>/plans/", plans.product_plans, name="product_plans"),
    path("plans/<int:pk>/rate/", plans.plan_rate, name="plan_rate"),
    path("plans/<int:pk>/end/", plans.plan_end, name="plan_end"),
    path("plans/<int:pk>/creators/", plans.plan_creators, name="plan_creators"),
    path(
        "plans/<int:pk>/creators/<int:application_pk>/remove/",
        plans.plan_creator_remove,
        name="plan_creator_remove",
    ),
    path("plans/applications/", plans.application_list, name="application_list"),
    path(
        "plans/applications/<int:pk>/decide/",
        plans.application_decide,
        name="application_decide",
    ),
    # 推广计划 (creators: a product's plans, applying to a 定向计划)
    path(
        "hot/<int:product_pk>/plans/",
        plans.product_plans_for_creator,
        name="product_plans_for_creator",
    ),
    path("plans/<int:pk>/apply/", plans.plan_apply, name="plan_apply"),
    # 申样 (merchants: a product's quota and requests; creators ask)
    path("products/<int:pk>/samples/", samples.product_samples, name="product_samples"),
    path("samples/", samples.sample_list, name="sample_list"),
    path("samples/<int:pk>/decide/", samples.sample_decide, name="sample_decide"),
    path("hot/<int:product_pk>/samples/", samples.sample_request, name="sample_request"),
    # 主播广场 and 达人主页 (merchants)
    path("plaza/", plaza.plaza, name="plaza"),
    path("creators/<int:pk>/", plaza.creator_detail, name="creator_detail"),
    # 商家主页 (creators and agencies) and how the scorecards are computed (everyone)
    path("merchants/<int:pk>/", scorecards.merchant_detail, name="merchant_detail"),
    path("scorecards/how/", scorecards.scorecard_help, name="scorecard_help"),
    path("roster/", scorecards.agency_roster, name="agency_roster"),
    # 热销商品 and 带货车 (creators)
    path("hot/", hot.hot_product_list, name="hot_products"),
    path("cart/", cart.cart, name="cart"),
    path("cart/add/<int:product_pk>/", cart.cart_add, name="cart_add"),
    path("cart/remove/<int:product_pk>/", cart.cart_remove, name="cart_remove"),
    # 合作任务 (merchants and creators) and 我要合作
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    *[
        path(
            f"tasks/<int:pk>/{slug.replace('_', '-')}/",
            tasks.task_transition,
            {"action": action},
            name=f"task_{slug}",
        )
        for action, slug in tasks.ACTION_SLUGS.items()
    ],
    path("tasks/<int:pk>/dispute/answer/", tasks.task_dispute_answer, name="task_dispute_answer"),
    path("tasks/<int:pk>/rate/", tasks.task_rate, name="task_rate"),
    path("tasks/<int:pk>/rate/edit/", tasks.task_rate, {"edit": True}, name="task_rate_edit"),
    path("tasks/<int:pk>/results/", tasks.task_results_partial, name="task_results"),
    path("creators/<int:pk>/cooperate/", tasks.task_create, name="task_create"),
]
