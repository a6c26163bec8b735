"""DRF's ``&`` and ``|`` for ``HasScope``, telling which operand refused.

DRF's own ``AND`` and ``OR`` have no ``message`` or ``code``, so a refusal inside them answers a
bare 403. These subclasses pass on the refusing operand's ``message`` and ``code``, so
``HasScope.of("write:profile") | IsAdminUser`` still answers ``insufficient_scope`` with its RFC 6750
challenge when both refuse. ``~`` is DRF's: its refusal means the scopes were present.
"""

from __future__ import annotations

from rest_framework import permissions


class AND(permissions.AND):
    refused = None

    def has_permission(self, request, view) -> bool:
        operands = (self.op1, self.op2)
        self.refused = next((op for op in operands if not op.has_permission(request, view)), None)
        return self.refused is None

    @property
    def message(self):
        return getattr(self.refused, "message", None)

    @property
    def code(self):
        return getattr(self.refused, "code", None)


class OR(permissions.OR):
    refused: tuple = ()

    def has_permission(self, request, view) -> bool:
        refused = []
        for op in (self.op1, self.op2):
            if op.has_permission(request, view):
                return True
            refused.append(op)
        self.refused = tuple(refused)
        return False

    def explaining(self):
        """Return the first refusing operand that says why, or None."""
        return next((op for op in self.refused if getattr(op, "message", None) is not None), None)

    @property
    def message(self):
        return getattr(self.explaining(), "message", None)

    @property
    def code(self):
        return getattr(self.explaining(), "code", None)


class Composes(permissions.OperationHolderMixin):
    """``&`` and ``|`` (either side) build the explaining ``AND`` and ``OR``."""

    def __and__(self, other):
        return Holder(AND, self, other)

    def __or__(self, other):
        return Holder(OR, self, other)

    def __rand__(self, other):
        return Holder(AND, other, self)

    def __ror__(self, other):
        return Holder(OR, other, self)


class Holder(Composes, permissions.OperandHolder):
    """A composed permission class, itself composable the same way."""


class ComposingMetaclass(Composes, permissions.BasePermissionMetaclass):
    """The metaclass of ``HasScope``: ``IsAdminUser | HasScope`` picks our ``__ror__`` first."""
