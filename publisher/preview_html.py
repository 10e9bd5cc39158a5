"""Renderers of a preview: one self-contained HTML page, and Markdown for a job summary.

The page makes no request and runs nothing: inline CSS only, no script, and a Content Security
Policy that forbids scripts and any fetch besides inline styles and ``data:`` images. Every
piece of text goes through ``html.escape``: a digest title ``<script>`` shows as text.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence

from publisher import platforms
from publisher.cards import Card
from publisher.errors import Problem
from publisher.preview import PostView, Preview, Span, ThreadView

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; background: #f0f2f5; color: #0f1419;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Noto Sans CJK KR",
  "NanumGothic", sans-serif; }
h1 { font-size: 20px; margin: 0 0 4px; }
.sub { color: #536471; margin: 0 0 20px; }
.problems { background: #fdecea; border: 2px solid #d93025; border-radius: 8px;
  padding: 8px 14px; margin: 0 0 20px; }
.problem { color: #d93025; font-weight: 600; margin: 6px 0; font-family: ui-monospace, monospace;
  font-size: 13px; white-space: pre-wrap; overflow-wrap: anywhere; }
.entry { margin: 0 0 28px; }
.entry > h2 { font-size: 17px; margin: 0 0 2px; overflow-wrap: anywhere; }
.entry > .id { color: #536471; font-size: 12px; margin: 0 0 10px; }
.platforms { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr));
  gap: 16px; align-items: start; }
.thread { background: #fff; border: 1px solid #cfd9de; border-radius: 16px; padding: 12px 16px; }
.thread header { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: baseline;
  border-bottom: 1px solid #eff3f4; padding-bottom: 8px; margin-bottom: 8px; font-size: 13px;
  color: #536471; }
.badge { font-weight: 700; border-radius: 999px; padding: 1px 10px; color: #fff; }
.badge { background: var(--accent, #536471); }
.post { display: grid; grid-template-columns: 40px 1fr; gap: 0 10px; position: relative;
  padding: 6px 0 10px; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #cfd9de; }
.rail { position: absolute; left: 19px; top: 50px; bottom: -6px; width: 2px;
  background: #cfd9de; }
.post:last-child .rail { display: none; }
.who { font-weight: 700; }
.who span { color: #536471; font-weight: 400; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 2px 0 6px; }
.hl { color: #1d9bf0; }
.hl.tag { font-weight: 600; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: #536471; }
.meta .over { color: #d93025; font-weight: 700; }
.post.bad .text { outline: 2px solid #d93025; outline-offset: 3px; border-radius: 4px; }
.done { color: #00875a; }
.card { border: 1px solid #cfd9de; border-radius: 12px; overflow: hidden; margin: 6px 0 8px; }
.card .thumb { height: 120px; background: #e7ecf0; color: #536471; font-size: 12px;
  display: flex; align-items: center; justify-content: center; overflow-wrap: anywhere;
  padding: 8px; }
.card img { width: 100%; height: 160px; object-fit: cover; display: block; }
.card .body { padding: 8px 12px; }
.card .host { color: #536471; font-size: 12px; }
.card .title { font-weight: 700; }
.card .desc { font-size: 13px; color: #536471; }
"""


def e(text: object) -> str:
    """Escaped for HTML text and for attribute values in double quotes."""
    return html.escape(str(text), quote=True)


def render_text(text: str, spans: Sequence[Span]) -> str:
    """A post's text with its links and tags highlighted; every character escaped."""
    out: list[str] = []
    cursor = 0
    for span in spans:
        out.append(e(text[cursor : span.start]))
        cls = f"hl {span.kind}"
        piece = e(text[span.start : span.end])
        out.append(
            f'<span class="{cls}" data-start="{span.start}" data-end="{span.end}" '
            f'data-target="{e(span.target)}" title="{e(span.target)}">{piece}</span>'
        )
        cursor = span.end
    out.append(e(text[cursor:]))
    return "".join(out)


def render_price(label: str, usd: float) -> str:
    """A post's price class (for a platform that bills each post by class) as a badge."""
    return f'<span class="price" title="{e(label)}">{e(label)} · ${usd:.3f}</span>'


def render_card(uri: str, title: str, description: str, thumb: str | None) -> str:
    """A link card under a post: a thumbnail (only a data: image is drawn), host, title, text."""
    host = uri.split("://", 1)[-1].split("/", 1)[0]
    if thumb and thumb.startswith("data:image/"):
        image = f'<img src="{e(thumb)}" alt="">'
    elif thumb:
        image = f'<div class="thumb">thumbnail: {e(thumb)}</div>'
    else:
        image = ""
    return (
        f'<div class="card" data-uri="{e(uri)}">{image}<div class="body">'
        f'<div class="host">{e(host)}</div><div class="title">{e(title)}</div>'
        f'<div class="desc">{e(description)}</div></div></div>'
    )


def render_counts(platform: str, counts: Sequence[int], limits: Sequence[int]) -> str:
    known = platforms.registry().get(platform)
    names = known.measure_names if known else ("",) * len(counts)
    parts = []
    for count, limit, name in zip(counts, limits, names, strict=False):
        cls = ' class="over"' if count > limit else ""
        parts.append(f"<span{cls}>{count}/{limit}{e(name)}</span>")
    return "".join(parts)


def _title(platform: str) -> str:
    known = platforms.registry().get(platform)
    return known.title if known else platform


def _accent(platform: str) -> str:
    known = platforms.registry().get(platform)
    return f' style="--accent: {e(known.color)}"' if known else ""


def render_problems(problems: Iterable[Problem]) -> str:
    return "".join(f'<p class="problem">{e(p)}</p>' for p in problems)


def _when(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else "not scheduled"


def render_post(thread: ThreadView, post: PostView, card: Card | None) -> str:
    bad = " bad" if post.problems else ""
    name = _title(thread.platform)
    meta = [
        f'<span class="number">{e(post.number)}</span>',
        render_counts(thread.platform, post.counts, post.limits),
        f"<span>{e(_when(thread.when))}</span>",
    ]
    if post.price is not None:
        meta.append(render_price(post.price.label, post.price.usd))
    if post.posted_url:
        meta.append(f'<span class="done">posted: {e(post.posted_url)}</span>')
    card_html = render_card(card.uri, card.title, card.description, card.thumb) if card else ""
    return (
        f'<article class="post{bad}" data-number="{e(post.number)}">'
        '<div class="avatar"></div><div class="rail"></div><div>'
        f'<div class="who">You <span>· {e(name)}</span></div>'
        f'<div class="text">{render_text(post.text, post.spans)}</div>{card_html}'
        f'<div class="meta">{"".join(meta)}</div>{render_problems(post.problems)}'
        "</div></article>"
    )


def _note(note: str) -> str:
    return f'<span class="note">{e(note)}</span>' if note else ""


def render_thread(thread: ThreadView) -> str:
    name = _title(thread.platform)
    posts = "".join(
        render_post(thread, post, thread.card if n == 0 else None)
        for n, post in enumerate(thread.posts)
    )
    return (
        f'<section class="thread {e(thread.platform)}" data-platform="{e(thread.platform)}" '
        f'data-entry="{e(thread.entry_id)}"{_accent(thread.platform)}>'
        f'<header><span class="badge">{e(name)}</span>'
        f"<span>{len(thread.posts)} posts</span><span>{e(_when(thread.when))}</span>"
        f"<span>{e(thread.status)}</span><span>{e(thread.source)}</span>{_note(thread.note)}"
        "</header>"
        f"{render_problems(thread.problems)}{posts}</section>"
    )


def render_html(preview: Preview) -> str:
    """The whole page."""
    problems = preview.all_problems()
    summary = f"{len(preview.threads)} threads, " + (
        f"{len(problems)} problems" if problems else "no problems"
    )
    top = (
        f'<div class="problems"><strong>Problems</strong>{render_problems(preview.problems)}</div>'
        if preview.problems
        else ""
    )
    by_entry: dict[tuple[str, str], list[ThreadView]] = {}
    for thread in preview.threads:  # an entry's platforms side by side, in first-seen order
        by_entry.setdefault((thread.entry_id, thread.title), []).append(thread)
    entries = []
    for (entry_id, title), group in by_entry.items():
        threads = "".join(render_thread(t) for t in group)
        entries.append(
            f'<div class="entry"><h2>{e(title)}</h2><p class="id">{e(entry_id)}</p>'
            f'<div class="platforms">{threads}</div></div>'
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ko"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(preview.title)}</title><style>{CSS}</style></head>"
        f'<body><h1>{e(preview.title)}</h1><p class="sub">{e(summary)}</p>'
        f"{top}{''.join(entries)}</body></html>\n"
    )


# ---- Markdown, for a job summary --------------------------------------------------------------


def _fence(text: str) -> str:
    """A fenced block that no run of backticks in ``text`` can close."""
    ticks = "`" * max(3, _longest_backticks(text) + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def _longest_backticks(text: str) -> int:
    best = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        best = max(best, run)
    return best


def _md(text: str) -> str:
    """Inline text with Markdown and HTML made inert."""
    escaped = html.escape(" ".join(text.split()), quote=False)
    # Always placed after other text on its line, so only inline syntax needs escaping.
    return "".join("\\" + c if c in "\\`*_[]|~" else c for c in escaped)


def _code(text: str) -> str:
    """An inline code span that no run of backticks in ``text`` can close."""
    ticks = "`" * (_longest_backticks(text) + 1)
    return f"{ticks} {' '.join(text.split())} {ticks}"


def render_markdown(preview: Preview) -> str:
    """The preview as a job summary: each thread's posts with number, counts, time, price."""
    problems = preview.all_problems()
    lines = [f"## {_md(preview.title)}", ""]
    lines.append(
        f"{len(preview.threads)} threads; "
        + (f"**{len(problems)} problems**" if problems else "no problems")
    )
    lines.append("")
    for problem in problems:
        lines.append("- ❌ " + _code(str(problem)))
    if problems:
        lines.append("")
    for thread in preview.threads:
        name = _title(thread.platform)
        lines.append(
            f"### {name}: {_md(thread.title)}  \n{_md(thread.source)} · {_when(thread.when)}"
            f" · {_md(thread.status)}" + (f" · {_md(thread.note)}" if thread.note else "")
        )
        lines.append("")
        for post in thread.posts:
            pairs = zip(post.counts, post.limits, strict=True)
            counts = ", ".join(f"{c}/{lim}" for c, lim in pairs)
            mark = " ❌" if post.problems else ""
            price = f" · {post.price.label} ${post.price.usd:.3f}" if post.price else ""
            lines.append(f"**{post.number}** · {counts}{price}{mark}")
            lines.append("")
            lines.append(_fence(post.text))
            lines.append("")
    return "\n".join(lines) + "\n"
