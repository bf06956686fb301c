"""The handoff note: what the receiving team reads first, every point quoting the message.

The points come from the evidence the voters gave (the phrases the keyword rules matched, the
words the linear model weighed, a model voter's quote), each located in the customer's message and
cut from it, so `text[start:end] == quote` always holds; evidence that is not the message's own
words is left out. When nothing the voters named can be found, the note quotes the message's first
sentence. So the note says nothing it cannot cite.
"""

from __future__ import annotations

import re

from agents.spec import AgentContext
from schemas.support_triage import CitedPoint, HandoffNote, NoteRequest, Route

QUOTED = re.compile(r'^(?:matched|weighed|quoted) "(?P<words>[^"]+)"$')
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
MAX_POINTS = 4


def locate(text: str, words: str) -> tuple[int, int] | None:
    """Where `words` first stand in `text`, ignoring case (None when they do not)."""
    found = re.search(re.escape(words.strip()), text, flags=re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def note_headline(route: Route) -> str:
    """The note's first line: the intent, the queue, and who decided it, how surely."""
    how = {
        "majority": "the classifiers' majority",
        "vote": "the classifiers' weighed vote",
        "arbiter": "the arbiter",
        "reviewer": "a reviewer",
        "none": "no one yet",
    }[route.decided_by]
    confidence = f", confidence {route.confidence:.2f}" if route.confidence is not None else ""
    return f"{route.intent.replace('_', ' ')} for {route.queue} (decided by {how}{confidence})"


def write_note(request: NoteRequest, context: AgentContext) -> HandoffNote:
    text, route = request.text, request.route
    headline = note_headline(route)
    points: list[CitedPoint] = []
    seen: list[tuple[int, int]] = []
    for item in request.evidence:
        match = QUOTED.match(item)
        span = locate(text, match["words"]) if match else None
        if span is None or any(s <= span[0] < e or span[0] <= s < span[1] for s, e in seen):
            continue
        seen.append(span)
        quote = text[span[0] : span[1]]
        points.append(
            CitedPoint(
                point=f"The customer wrote “{quote}”, which points to {route.intent}.",
                quote=quote,
                start=span[0],
                end=span[1],
            )
        )
        if len(points) == MAX_POINTS:
            break
    if not points:
        first = SENTENCE.search(text)
        start, end = (first.start(), first.end()) if first else (0, len(text))
        while start < end and text[start].isspace():
            start += 1
        end = min(end, start + 300)
        points.append(
            CitedPoint(
                point="The customer's request, in their words.",
                quote=text[start:end],
                start=start,
                end=end,
            )
        )
    return HandoffNote(headline=headline, points=points)
