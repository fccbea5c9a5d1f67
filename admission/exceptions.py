"""Admission refusals: raised by :mod:`admission.guard`, shown where the user acted."""

from __future__ import annotations

from hotwave.exceptions import DomainError


class NotAdmitted(DomainError):
    """The party is not admitted (or misses an activity's requirement); ``reasons`` say why.

    ``conditions`` holds the unmet :class:`admission.rules.Condition` objects (codes,
    fix links) for callers that want more than the messages.
    """

    code = "admission.not_admitted"

    def __init__(self, message, *, reasons=None, code=None, conditions=None, action: str = ""):
        super().__init__(message, reasons=reasons, code=code)
        self.conditions = list(conditions or [])
        self.action = action


class ProductRestricted(DomainError):
    """A restricted product (限制推广商品) without an operator-granted permission."""

    code = "admission.product_restricted"

    def __init__(self, message, *, reasons=None, code=None, sku: str = "", reason: str = ""):
        super().__init__(message, reasons=reasons, code=code)
        self.sku = sku
        self.reason = reason
