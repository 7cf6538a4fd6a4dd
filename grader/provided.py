"""The helpers a course gives students, as code to run before a submission (see ``Assignment.provided``)."""

from __future__ import annotations

import ast
from collections.abc import Sequence


class ProvidedHelperError(LookupError):
    """The stub does not define a helper the assignment declares as provided."""


def provided_source(stub_source: str, names: Sequence[str]) -> str:
    """The stub's top-level imports and its top-level definitions of ``names``, in stub order, as one source.

    >>> stub = "import numpy as np\\n\\ndef softmax(x):\\n    return np.exp(x)\\n\\ndef graded(x):\\n    pass\\n"
    >>> print(provided_source(stub, ["softmax"]))
    import numpy as np
    def softmax(x):
        return np.exp(x)
    """
    if not names:
        return ""
    tree = ast.parse(stub_source)
    wanted = set(names)
    parts = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
            isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted
        ):
            parts.append(ast.get_source_segment(stub_source, node, padded=True) or "")
            wanted.discard(getattr(node, "name", ""))
    if wanted:
        raise ProvidedHelperError(f"the stub defines no {', '.join(sorted(wanted))}")
    return "\n".join(parts)
