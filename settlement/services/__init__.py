"""Settlement services: every write to orders, bindings and the ledger goes through here.

* ``events/``  — ingestion of order and binding events (command and API share it),
  by job: parse, decide, write, apply, pipeline, forked, pg_text
* ``settle/``  — nightly settlement, clawbacks and payouts, by job: run,
  rule_sql, rule_python, spread
* ``locking``  — every advisory lock (settlement runs, spread-run range claims)
* ``bindings`` — invitations, consent, starting and ending agency bindings
* ``binding_invites`` — the 机构绑定 pages' flow over ``bindings``
* ``ledger``   — accounts, balanced journals, balances
* ``bulk``     — bulk inserts for the hot paths (COPY with reserved ids on Postgres)
* ``escrow``   — slot-fee escrow for cooperation tasks
* ``payout_accounts`` — 收款账户: submit, verify, reject
* ``reconcile``— checks that the ledger is whole
* ``report``   — ``ledger_report --json``
"""
