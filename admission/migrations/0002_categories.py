"""The product categories (data in ``admission.starter_content``)."""

from django.db import migrations

from admission.starter_content import create_categories


class Migration(migrations.Migration):
    dependencies = [("admission", "0001_initial")]
    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
