"""Pure layout: a ``DigestEntry`` and a platform's rules in, a ``Thread`` out. No I/O.

A thread is built from sections, each starting a new post: the header (title, authors, link,
hashtags), optionally the abstract, then the Korean and the English comment (or each Korean
paragraph followed by its English translation). A section is cut into atoms — words, or
graphemes of a word too long for a post — each with the kind of break that precedes it. The packer
finds the fewest posts a section needs and then, among layouts with that many posts, prefers
breaks at paragraph ends, then sentence ends, then between words, and posts of even length.

The compact layout makes the whole thread one section instead: header, Korean and English share
posts where they fit. Every paragraph (and the header) that fits in one post is glued — no post may
start inside it — so it is never cut; only a paragraph longer than a post is cut, and it starts
right after the text before it. The packer then uses the fewest posts those rules allow.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from publisher.config import FormatSettings
from publisher.errors import FormatError, InputError, Problem
from publisher.models import Digest, DigestEntry, Thread
from publisher.platforms import url_grammar
from publisher.platforms.base import Rules

# Break kinds, best first. The penalty is what choosing that break costs the layout.
PARA, LINE, SENT, WORD, INNER = range(5)
_PENALTY = (0.0, 0.5, 1.0, 3.0, 12.0)
_EVENNESS = 3.0  # weight of a post's distance from an even share of the section

_SENTENCE_MARKS = ".!?。！？"
_CLOSERS = "\"'”’)]"  # may follow the mark: 'it ends here.)'
_NOT_SENTENCE_END = frozenset(
    {"e.g.", "i.e.", "vs.", "al.", "etc.", "cf.", "fig.", "eq.", "approx.", "no.", "dr.", "mr."}
)
_INITIAL = re.compile(r"^\(?[A-Z]\.$")
_WORD = re.compile(r"\S+")


class Atom(NamedTuple):
    """The smallest piece of text the packer moves: a word, a line, or a grapheme."""

    text: str
    brk: int  # the kind of break before this atom
    sep: str  # what separates it from the atom before, when both are in one post
    unbreakable: bool = False  # a URL or hashtag that must stay whole
    glued: bool = False  # no post may start with this atom (compact: inside a paragraph that fits)


def format_thread(
    entry: DigestEntry,
    rules: Rules,
    options: FormatSettings,
    *,
    note: str | None = None,
    numbered: bool = True,
) -> Thread:
    """Lay ``entry`` out as a thread for the platform of ``rules``, numbered as it is sent.

    ``note`` is a line put above the title (a revisit's note); ``numbered=False`` gives the
    posts as the queue stores them, without ``N/M`` (room for it is kept all the same).
    """
    body = _body_sections(_inline_links(entry, rules), options)
    return _format(entry, rules, options, body, numbered, note)


def number_posts(posts: Sequence[str], options: FormatSettings) -> list[str]:
    """The posts as they are sent: each with its ``N/M`` suffix (or the first with the marker).

    Numbering belongs to the thread, not to the stored text, so it is added here, from the
    posts' places, at send and preview time. A suffix already in a text (queue files written
    before numbering moved here, or typed by hand) is dropped first and never doubled.
    """
    bare = [strip_number(post, options) for post in posts]
    return [_number(post, i, len(bare), options) for i, post in enumerate(bare, 1)]


_FRACTION_LINE = re.compile(r"\n[ \t]*\d{1,3}[ \t]*/[ \t]*\d{1,3}[ \t]*$")


def strip_number(post: str, options: FormatSettings) -> str:
    """``post`` without a trailing ``N/M`` line or the configured first-post marker."""
    text = post.rstrip()
    text = _FRACTION_LINE.sub("", text).rstrip()
    if options.marker and text.endswith(" " + options.marker):
        text = text[: -len(options.marker) - 1].rstrip()
    return text


def format_threads(
    entry: DigestEntry, rules: Sequence[Rules], options: FormatSettings
) -> list[Thread]:
    """``format_thread`` for several platforms, cutting the comments into words only once."""
    body = _body_sections(entry, options)
    return [_format(entry, p, options, _body_for(entry, p, options, body)) for p in rules]


def _format(
    entry: DigestEntry,
    rules: Rules,
    options: FormatSettings,
    body: list[list[Atom]],
    numbered: bool = True,
    note: str | None = None,
) -> Thread:
    measure = _Measurer(rules)
    layout = rules.layout or options.layout
    if (layout == "paired") != (options.layout == "paired"):  # the body was cut for another
        body = _body_sections(_inline_links(entry, rules), options, layout)
    posts: list[str] = []
    for digits in (1, 2, 3):
        if len(posts) >= 10**digits:
            continue  # the last pass already showed more posts than this many digits can number
        reserve = _suffix_reserve(rules, options, digits)
        posts = []
        sections = [_header(entry, rules, reserve, options.max_authors, note), *body]
        if layout == "compact":
            sections = [_glue(sections, rules, reserve)]
        slack = 0 if layout == "compact" else 1
        for section in sections:
            posts.extend(_pack(section, rules, measure, reserve, entry.id, slack))
        if len(posts) < 10**digits:
            break
    sent = [_number(p, i, len(posts), options) for i, p in enumerate(posts, 1)]
    for i, post in enumerate(sent, 1):
        problems = rules.problems(post)
        if problems:  # the packer's arithmetic and the platform's count must agree
            raise FormatError(entry.id, rules.name, f"post {i}: {'; '.join(problems)}")
    return Thread(entry_id=entry.id, platform=rules.name, posts=sent if numbered else posts)


class _Measurer:
    """The platform's measures of each distinct atom text, computed once per thread.

    The measures are additive over text cut at whitespace (weights, graphemes, bytes; URLs and
    emoji never span a space), so an atom with its separator measures as the two added up.
    """

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.known: dict[str, tuple[int, ...]] = {}

    def __call__(self, text: str) -> tuple[int, ...]:
        found = self.known.get(text)
        if found is None:
            found = self.known[text] = self.rules.measures(text)
        return found


def threads_for(
    digests: list[Digest],
    options: FormatSettings,
    rules: Mapping[str, Rules],
    platforms: list[str],
    *,
    numbered: bool = True,
) -> list[tuple[Digest, int, Thread]]:
    """Every (digest, entry index, thread), or ``InputError`` naming each entry that cannot fit.

    ``numbered=False`` gives the posts as they are stored in the queue: without their ``N/M``
    suffixes, which ``number_posts`` adds when they are sent (their room is kept all the same).
    """
    out: list[tuple[Digest, int, Thread]] = []
    problems: list[Problem] = []
    for digest in digests:
        for n, entry in enumerate(digest.entries):
            body = _body_sections(entry, options)
            for platform in platforms:
                try:
                    own = _body_for(entry, rules[platform], options, body)
                    thread = _format(entry, rules[platform], options, own, numbered)
                except FormatError as exc:
                    line = digest.lines[n] if n < len(digest.lines) else None
                    problems.append(Problem(digest.source or "<digest>", line, str(exc)))
                    continue
                out.append((digest, n, thread))
    if problems:
        raise InputError(problems)
    return out


def _body_for(
    entry: DigestEntry, rules: Rules, options: FormatSettings, shared: list[list[Atom]]
) -> list[list[Atom]]:
    """The body for this platform: the shared one unless the platform rewrites a link in it."""
    rewritten = _inline_links(entry, rules)
    return shared if rewritten is entry else _body_sections(rewritten, options)


def _inline_links(entry: DigestEntry, rules: Rules) -> DigestEntry:
    """``entry`` with each URL in its text written as the platform writes links (by its
    link policy, say ``arXiv:ID`` for an arXiv URL); ``entry`` itself when nothing changes."""
    changes: dict[str, list[str]] = {}
    for name in ("comment_ko", "comment_en"):
        texts: list[str] = getattr(entry, name)
        new = [_rewrite_links(t, rules) for t in texts]
        if new != texts:
            changes[name] = new
    abstract = _rewrite_links(entry.abstract, rules)
    if not changes and abstract == entry.abstract:
        return entry
    return entry.model_copy(update={**changes, "abstract": abstract})


def _rewrite_links(text: str, rules: Rules) -> str:
    if "/" not in text:  # no URL with a path, and a bare domain is never rewritten
        return text
    out: list[str] = []
    cursor = 0
    for span in url_grammar.extract_urls(text):
        out.append(text[cursor : span.start])
        out.append(rules.inline_link(span.url))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _body_sections(
    entry: DigestEntry, options: FormatSettings, layout: str | None = None
) -> list[list[Atom]]:
    """The sections after the header: abstract if configured, then the comments."""
    sections = []
    if options.include_abstract:
        sections.append(_paragraphs([entry.abstract]))
    ko = [_nfc(p) for p in entry.comment_ko]
    en = [_nfc(p) for p in entry.comment_en]
    if (layout or options.layout) == "paired":
        sections.extend(_paragraphs([k, e]) for k, e in zip(ko, en, strict=True))
    else:
        sections.extend([_paragraphs(ko), _paragraphs(en)])
    return sections


def _glue(sections: list[list[Atom]], rules: Rules, reserve: tuple[int, ...]) -> list[Atom]:
    """The sections as one, each paragraph that fits in a post glued together (compact layout)."""
    caps = [lim - r for lim, r in zip(rules.limits, reserve, strict=True)]
    paragraphs: list[list[Atom]] = []
    for section in sections:
        for atom in section:
            if atom.brk == PARA or not paragraphs:
                paragraphs.append([])
            paragraphs[-1].append(atom)
    out: list[Atom] = []
    for paragraph in paragraphs:
        measured = rules.measures(_join(paragraph))
        fits = all(m <= c for m, c in zip(measured, caps, strict=True))
        out.append(paragraph[0])
        out.extend(a._replace(glued=True) if fits else a for a in paragraph[1:])
    return out


def _header(
    entry: DigestEntry,
    rules: Rules,
    reserve: tuple[int, ...],
    max_authors: int = 0,
    note: str | None = None,
) -> list[Atom]:
    """Title, authors, link and hashtags; authors shortened to "et al." if that keeps one post.

    With ``max_authors`` > 0, at most that many names are shown, then "et al.". A ``note`` goes
    on its own line above the title.
    """
    title = _words(_nfc(entry.title), first_brk=PARA)
    if note:
        first, *rest = title
        title = [*_words(_nfc(note), first_brk=PARA), Atom(first.text, LINE, "\n"), *rest]
    tail: list[Atom] = []
    link = rules.link(entry.url) if entry.url else None
    if link:
        tail.append(Atom(link, LINE, "\n", unbreakable=True))
    tags = [rules.hashtag(_nfc(t)) for t in entry.hashtags]
    for i, tag in enumerate(tags):
        tail.append(Atom(tag, LINE if i == 0 else WORD, "\n" if i == 0 else " ", unbreakable=True))
    names = [_nfc(a) for a in entry.authors]
    most = min(len(names), max_authors) if max_authors else len(names)
    limits = [lim - r for lim, r in zip(rules.limits, reserve, strict=True)]

    def fits(keep: int) -> bool:
        text = _join(title + _authors(names, keep) + tail)
        return all(m <= lim for m, lim in zip(rules.measures(text), limits, strict=True))

    if fits(most):
        return title + _authors(names, most) + tail
    low, high = 0, most - 1  # the most names that fit with "et al.", by bisection
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    if low:
        return title + _authors(names, low) + tail
    return title + _authors(names, most) + tail


def _authors(names: Sequence[str], keep: int) -> list[Atom]:
    shown = list(names[:keep])
    if keep < len(names):
        shown[-1] += " et al."
    return [
        Atom(
            name + ("," if i < len(shown) - 1 else ""),
            LINE if i == 0 else WORD,
            "\n" if i == 0 else " ",
        )
        for i, name in enumerate(shown)
    ]


def _paragraphs(paragraphs: Sequence[str]) -> list[Atom]:
    atoms: list[Atom] = []
    for paragraph in paragraphs:
        atoms.extend(_words(_nfc(paragraph), first_brk=PARA))
    return atoms


def _words(text: str, first_brk: int) -> list[Atom]:
    atoms: list[Atom] = []
    previous = ""
    for match in _WORD.finditer(text):
        word = match.group()
        if not atoms:
            brk, sep = first_brk, "\n\n"
        elif _ends_sentence(previous):
            brk, sep = SENT, " "
        else:
            brk, sep = WORD, " "
        atoms.append(Atom(word, brk, sep, unbreakable=word.startswith("#")))
        previous = word
    return atoms


def _ends_sentence(word: str) -> bool:
    bare = word.rstrip(_CLOSERS)
    if not bare or bare[-1] not in _SENTENCE_MARKS:
        return False
    lowered = word.lower().lstrip("(\"'“‘")
    if lowered in _NOT_SENTENCE_END or _INITIAL.match(word):
        return False
    return not url_grammar.extract_urls(word)


def _join(atoms: Sequence[Atom]) -> str:
    parts = [atoms[0].text] if atoms else []
    for atom in atoms[1:]:
        parts.append(atom.sep)
        parts.append(atom.text)
    return "".join(parts)


def _suffix(index: int, total: int, options: FormatSettings) -> str:
    if options.numbering == "fraction":
        return f"\n{index}/{total}"
    if options.numbering == "marker" and index == 1:
        return " " + options.marker
    return ""


def _suffix_reserve(rules: Rules, options: FormatSettings, digits: int) -> tuple[int, ...]:
    biggest = 10**digits - 1
    # The widest suffix: "\n99/99" for fractions, but the marker goes on post 1 only.
    widths = [rules.measures(_suffix(i, biggest, options)) for i in (1, biggest)]
    return tuple(max(m) for m in zip(*widths, strict=True))


def _number(post: str, index: int, total: int, options: FormatSettings) -> str:
    if total == 1 and options.numbering == "fraction":
        return post
    return post + _suffix(index, total, options)


def _graphemes(text: str) -> list[str]:
    import regex  # only for words longer than a post: keeps `--dry-run` start-up light

    found: list[str] = regex.findall(r"\X", text)
    return found


def _split_long(atom: Atom, rules: Rules, caps: tuple[int, ...], entry_id: str) -> list[Atom]:
    """A word longer than a post: cut between graphemes, never inside a URL or hashtag."""
    if atom.unbreakable:
        raise FormatError(
            entry_id, rules.name, f"{atom.text[:40]!r} cannot fit in one post even alone"
        )
    pieces: list[Atom] = []
    cursor = 0
    first = True

    def add(text: str, unbreakable: bool) -> None:
        nonlocal first
        brk, sep = (atom.brk, atom.sep) if first else (INNER, "")
        pieces.append(Atom(text, brk, sep, unbreakable))
        first = False

    spans = [(u.start, u.end) for u in url_grammar.extract_urls(atom.text)]
    if rules.whole is not None:  # text a link policy wrote for a URL: whole like the URL
        spans += [
            (m.start(), m.end())
            for m in rules.whole.finditer(atom.text)
            if not any(a < m.end() and m.start() < b for a, b in spans)
        ]
    for start, end in sorted(spans):
        for g in _graphemes(atom.text[cursor:start]):
            add(g, False)
        add(atom.text[start:end], True)
        cursor = end
    for g in _graphemes(atom.text[cursor:]):
        add(g, False)
    for piece in pieces:
        if any(m > c for m, c in zip(rules.measures(piece.text), caps, strict=True)):
            raise FormatError(
                entry_id, rules.name, f"{piece.text[:40]!r} cannot fit in one post even alone"
            )
    return pieces


def _pack(
    atoms: list[Atom],
    rules: Rules,
    measure: _Measurer,
    reserve: tuple[int, ...],
    entry_id: str,
    slack: int = 1,
) -> list[str]:
    """Cut ``atoms`` into the fewest posts, with the best breaks among layouts that many posts.

    ``slack``: how many posts more than the fewest a layout that breaks only at sentence and
    paragraph ends may take. No post starts with a glued atom.
    """
    caps = tuple(lim - r for lim, r in zip(rules.limits, reserve, strict=True))
    atoms, measured = _fitting(atoms, rules, measure, caps, entry_id)
    if not atoms:
        return []
    seps = {sep: measure(sep) for sep in {a.sep for a in atoms}}
    whole = [
        sum(m[d] for m in measured) + sum(seps[a.sep][d] for a in atoms[1:] if a.sep)
        for d in range(len(caps))
    ]
    if all(w <= c for w, c in zip(whole, caps, strict=True)):  # the common case: one post
        text = _join(atoms)
        if all(m <= c for m, c in zip(rules.measures(text), caps, strict=True)):
            return [text]
    reach, prefix0, alone0 = _reach(atoms, measured, seps, caps)
    breaks = _Breaks(atoms, reach, slack)
    return _cut(
        atoms, rules, caps, reach, breaks, lambda i, j: alone0[i] + prefix0[j] - prefix0[i + 1]
    )


def _fitting(
    atoms: list[Atom], rules: Rules, measure: _Measurer, caps: tuple[int, ...], entry_id: str
) -> tuple[list[Atom], list[tuple[int, ...]]]:
    """The atoms, each too long for a post split at its graphemes, and their measures."""
    measured = [measure(a.text) for a in atoms]
    if not any(max(ms[d] for ms in measured) > cap for d, cap in enumerate(caps)):
        return atoms, measured
    expanded: list[Atom] = []
    for atom, ms in zip(atoms, measured, strict=True):
        if any(m > c for m, c in zip(ms, caps, strict=True)):
            expanded.extend(_split_long(atom, rules, caps, entry_id))
        else:
            expanded.append(atom)
    return expanded, [measure(a.text) for a in expanded]


def _reach(
    atoms: list[Atom],
    measured: list[tuple[int, ...]],
    seps: Mapping[str, tuple[int, ...]],
    caps: tuple[int, ...],
) -> tuple[list[int], list[int], list[int]]:
    """For each atom, the furthest atom a post starting there may end before (a post never
    starts on a glued atom); and the first measure's prefix sums and atoms alone."""
    n = len(atoms)
    # A second measure (bytes, say) only matters where some atom is denser in it than the
    # ratio of the two caps; otherwise the first measure alone decides, which is much faster.
    dims = [
        d
        for d in range(len(caps))
        if d == 0 or any(m[d] * caps[0] > m[0] * caps[d] for m in measured)
    ]
    reach = [n] * n
    firsts: tuple[list[int], list[int]] | None = None
    for d in dims:
        alone = [m[d] for m in measured]
        prefix = [0] * (n + 1)
        total = 0
        for k, atom in enumerate(atoms):
            total += alone[k] + (seps[atom.sep][d] if atom.sep else 0)
            prefix[k + 1] = total
        for i in range(n):
            reach[i] = min(reach[i], bisect_right(prefix, caps[d] - alone[i] + prefix[i + 1]) - 1)
        firsts = firsts or (prefix, alone)
    last_free = list(range(n + 1))  # the last position at or before k where a post may start
    for k in range(1, n):
        if atoms[k].glued:
            last_free[k] = last_free[k - 1]
    for i in range(n):
        if reach[i] < n:
            reach[i] = last_free[reach[i]]
        if reach[i] <= i:
            reach[i] = i + 1
    assert firsts is not None
    return reach, firsts[0], firsts[1]


class _Breaks:
    """Where posts may end. Sentence ends and paragraphs are the breaks that read well. A layout
    that only breaks there (between words only inside a sentence too long for a post) is taken
    when it costs at most ``slack`` posts more than the fewest possible; otherwise any word
    boundary may end a post. ``need[i]``: the posts needed from atom ``i`` on."""

    def __init__(self, atoms: list[Atom], reach: list[int], slack: int) -> None:
        n = len(atoms)
        self.reach = reach
        self.nice = [False] * (n + 1)
        self.nice[n] = True
        for k in range(1, n):
            self.nice[k] = atoms[k].brk <= SENT and not atoms[k].glued
        self.last_nice = [0] * (n + 1)  # the last nice break at or before k
        for k in range(1, n + 1):
            self.last_nice[k] = k if self.nice[k] else self.last_nice[k - 1]
        fine = _fewest(n, reach.__getitem__)
        coarse = _fewest(n, self._coarse_step)
        self.coarse = coarse[0] <= fine[0] + slack
        self.need = coarse if self.coarse else fine

    def _coarse_step(self, i: int) -> int:
        j = self.last_nice[self.reach[i]]
        return j if j > i else self.reach[i]

    def ok(self, i: int, j: int) -> bool:
        """Whether a post from atom ``i`` may end before atom ``j``."""
        return not self.coarse or self.nice[j] or self.last_nice[self.reach[i]] <= i


def _cut(
    atoms: list[Atom],
    rules: Rules,
    caps: tuple[int, ...],
    reach: list[int],
    breaks: _Breaks,
    span: Callable[[int, int], int],
) -> list[str]:
    """The posts: from each start, the break of least cost (its kind, and how evenly it fills
    the posts still needed) among those that leave no more posts than needed."""
    n, need = len(atoms), breaks.need
    posts: list[str] = []
    i = 0
    while i < n:
        left, j_max = need[i], reach[i]
        j = n
        if j_max < n:
            target = span(i, n) / left
            best_j, best_cost = -1, float("inf")
            for j in range(j_max, i, -1):
                if need[j] > left - 1:
                    break  # breaking earlier only leaves more for the rest
                if atoms[j].glued or not breaks.ok(i, j):
                    continue
                cost = _PENALTY[atoms[j].brk] + _EVENNESS * abs(span(i, j) - target) / caps[0]
                if cost < best_cost:
                    best_j, best_cost = j, cost
            j = best_j if best_j > i else j_max
        text = _join(atoms[i:j])
        # The sums are exact except where a cut changes what the platform sees: a domain glued
        # into a long word may become a URL once the word is cut. Trust the real count.
        while j > i + 1 and any(m > c for m, c in zip(rules.measures(text), caps, strict=True)):
            j -= 1
            while j > i + 1 and atoms[j].glued:
                j -= 1
            text = _join(atoms[i:j])
        posts.append(text)
        i = j
    return posts


def _fewest(n: int, step: Callable[[int], int]) -> list[int]:
    """Posts needed for atoms[i:], for every i, taking ``step(i)`` as the end of each post."""
    need = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        need[i] = 1 + need[step(i)]
    return need
