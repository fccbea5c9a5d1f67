"""A real Celery worker process on Redis runs our tasks."""

import pytest

from hotwave.celery import app, ping


@pytest.mark.celery_worker
@pytest.mark.redis
def test_a_real_worker_runs_a_task(celery_worker_process):
    result = ping.apply_async(args=["hello from the test"], queue=celery_worker_process)
    # The test process is not a task; a task run eagerly earlier in this process (the
    # notifications' on-commit hand-off) can leave Celery thinking it is inside one.
    assert result.get(timeout=20, disable_sync_subtasks=False) == "hello from the test"


def test_celery_is_configured_for_json_and_time_limits():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit < app.conf.broker_transport_options["visibility_timeout"]
    assert app.conf.task_acks_late is False
    assert "settlement-nightly" in app.conf.beat_schedule
