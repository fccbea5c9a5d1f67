# Production-like image for docker-compose.yml (web, worker, beat share it).
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 hotwave
WORKDIR /app
COPY pyproject.toml README.md ./
# The s3 extra: MEDIA_STORAGE=s3 keeps product images in an S3-compatible bucket.
RUN pip install --upgrade pip && pip install '.[s3]'
COPY . .
# collectstatic needs settings that import cleanly: a throwaway key, no DB access.
RUN SECRET_KEY=collectstatic HOTWAVE_EVENTS_SECRET=collectstatic python manage.py collectstatic --noinput -v0
# The media volume takes this directory's owner when it is first created.
RUN mkdir -p /app/media && chown hotwave:hotwave /app/media
USER hotwave
EXPOSE 8000
CMD ["gunicorn", "hotwave.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
