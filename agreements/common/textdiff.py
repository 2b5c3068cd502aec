"""Differences between two texts in words, for the history and the compare of versions: a list of (op, text)
with op "same", "added" or "removed", whitespace kept with the words so the pieces join back to either text."""

import difflib
import re

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

SAME, ADDED, REMOVED = "same", "added", "removed"


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    a, b = TOKEN.findall(before or ""), TOKEN.findall(after or "")
    ops: list[tuple[str, str]] = []

    def push(op, tokens):
        text = "".join(tokens)
        if not text:
            return
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + text)
        else:
            ops.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            push(SAME, a[i1:i2])
        else:
            push(REMOVED, a[i1:i2])
            push(ADDED, b[j1:j2])
    return ops


def changed(ops: list[tuple[str, str]]) -> bool:
    return any(op != SAME for op, _text in ops)
