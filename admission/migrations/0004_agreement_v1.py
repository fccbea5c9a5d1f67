"""The first published version of the authorization agreement (授权协议).

Its text is in ``admission.starter_content``.
"""

from django.db import migrations

from admission.starter_content import publish_agreement_v1, unpublish_agreement_v1


class Migration(migrations.Migration):
    dependencies = [("admission", "0003_admission_records")]
    operations = [migrations.RunPython(publish_agreement_v1, unpublish_agreement_v1)]
