"""Workbench reads, one module per section of the page, scoped to the viewer.

* :mod:`.todos` — 待办事项: the board, read from the cache (filled by
  ``workbench.services.todos_board``);
* :mod:`.core` — 核心数据: each role's daily figures and 30-day trend;
* :mod:`.guide` — 操作指引: the role's core flow, each step marked from real data;
* :mod:`.recommendations` — 平台推荐: creators, hot products, recruits;
* :mod:`.content` — 帮助中心 and 成功案例.

The workbench reads the other apps only through their selectors
(``settlement.selectors``, ``cooperation.selectors``), never their models.
Every public function runs a fixed number of queries whatever the data size.
"""

from workbench.selectors.content import (
    cases_for_workbench,
    help_article,
    help_articles,
    help_categories,
    related_articles,
    success_case,
    success_cases,
)
from workbench.selectors.core import CHART_WINDOWS, TREND_DAYS, CoreData, Stat, core_data_for
from workbench.selectors.guide import Guide, GuideStep, guide_for
from workbench.selectors.links import safe_reverse
from workbench.selectors.recommendations import (
    CreatorPick,
    ProductPick,
    Recommendations,
    Score,
    hot_products_for,
    recommendation_score,
    recommendations_for,
    recommended_creators,
    recruit_creators,
)
from workbench.selectors.todos import TodoBoard, TodoItem

__all__ = [
    "TREND_DAYS",
    "CoreData",
    "CreatorPick",
    "Guide",
    "GuideStep",
    "ProductPick",
    "Recommendations",
    "Score",
    "Stat",
    "TodoBoard",
    "TodoItem",
    "cases_for_workbench",
    "core_data_for",
    "CHART_WINDOWS",
    "guide_for",
    "help_article",
    "help_articles",
    "help_categories",
    "hot_products_for",
    "recommendation_score",
    "recommendations_for",
    "recommended_creators",
    "recruit_creators",
    "related_articles",
    "safe_reverse",
    "success_case",
    "success_cases",
]
