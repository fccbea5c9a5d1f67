import django
django.setup()
from datetime import timedelta
from django.db import connection
from django.utils import timezone
from cooperation.services.scorecards import _creator_sql
end=timezone.now(); start=end-timedelta(days=90)
params=[start,end]*4+[start,end,end]
sql=_creator_sql("")
i=sql.index("INSERT INTO"); j=sql.index("SELECT c.user_id")
k=sql.index("ON CONFLICT")
q="EXPLAIN "+sql[:i]+sql[j:k]
with connection.cursor() as cur:
    cur.execute(q, params)
    for r in cur.fetchall(): print(r[0])
