"""Settlement services: every write to orders, bindings and the ledger goes through here.

* ``events``   — ingestion of order and binding events (command and API share it)
* ``bindings`` — invitations, consent, starting and ending agency bindings
* ``ledger``   — accounts, balanced journals, balances
* ``settle``   — nightly settlement, clawbacks and payouts
* ``escrow``   — slot-fee escrow for cooperation tasks
* ``reconcile``— checks that the ledger is whole
"""
