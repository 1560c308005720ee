"""The one error type of the IR: every malformed graph, file or input raises ``IRError``."""

from __future__ import annotations


class IRError(ValueError):
    """A problem with an IR graph, its files or the inputs given to it.

    The message names where the problem is: the file (or ``<dict>`` for graphs built in
    memory), the node and the field, e.g.
    ``ir/model.json: node 'conv1': field 'attrs.kernel': expected a list of 2 ints, got 3``.

    Attributes:
        file: the file (or ``<dict>``), when known.
        node: the node or graph-input name, when the problem belongs to one.
        field: the field path inside the node (dotted), when known.
        reason: the bare description of the problem.
    """

    def __init__(self, reason: str, *, file: str | None = None, node: str | None = None,
                 field: str | None = None) -> None:
        self.file = file
        self.node = node
        self.field = field
        self.reason = reason
        parts = []
        if file is not None:
            parts.append(str(file))
        if node is not None:
            parts.append(f"node {node!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        parts.append(reason)
        super().__init__(": ".join(parts))


class Where:
    """A location (file and node) that builds ``IRError`` s naming it."""

    __slots__ = ("file", "node")

    def __init__(self, file: str, node: str | None = None) -> None:
        self.file = file
        self.node = node

    def at(self, node: str | None) -> "Where":
        """The same file, another node."""
        return Where(self.file, node)

    def error(self, reason: str, field: str | None = None) -> IRError:
        """An IRError at this location (returned, for ``raise where.error(...)``)."""
        return IRError(reason, file=self.file, node=self.node, field=field)
