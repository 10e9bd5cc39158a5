"""A 200 answer that does not say what was made (``{}``, an HTML page from something in between)
after the post was made: an unknown outcome, looked up and recorded, never a traceback, never a
false ``failed``, never a second post. On the local X, Mastodon and Threads servers."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from publisher.testing.clock import FakeClock
from tests import test_mastodon_posting as on_mastodon
from tests import test_threads_posting as on_threads
from tests import test_x_posting as on_x
from tests.fakes.mastodon_server import FakeMastodonServer
from tests.fakes.threads_server import FakeThreadsServer
from tests.fakes.x_server import FakeXServer
from tests.test_mastodon_posting import mastodon_env
from tests.test_threads_posting import threads_env
from tests.test_x_posting import x_env

__all__ = ["mastodon_env", "threads_env", "x_env"]  # the fixtures, used by name
FAULTS = ["empty", "html"]


@pytest.mark.usefixtures("x_env")
@pytest.mark.parametrize("kind", FAULTS)
def test_x_answer_without_an_id(tmp_path: Path, x_server: FakeXServer, kind: str) -> None:
    queue = on_x._queue(tmp_path)
    x_server.fail_next(kind, after=1)

    report = on_x._run(queue, on_x._settings(timeout=2), clock=FakeClock(t=time.time()))

    assert x_server.faults_hit == [kind]
    assert report.exit_code == 0, report.failed
    on_x._assert_one_chain(x_server, on_x.POSTS)
    item = on_x._item(queue)
    assert item.status == "posted"
    assert [r.id for r in item.posted] == sorted((t["id"] for t in x_server.tweets), key=int)


@pytest.mark.usefixtures("mastodon_env")
@pytest.mark.parametrize("kind", FAULTS)
def test_mastodon_answer_without_an_id(
    tmp_path: Path, mastodon_server: FakeMastodonServer, kind: str
) -> None:
    queue = on_mastodon._queue(tmp_path)
    mastodon_server.fail_next(kind, after=1)

    report = on_mastodon._run(queue, on_mastodon._settings(timeout=2))

    assert mastodon_server.faults_hit == [kind]
    assert report.exit_code == 0, report.failed
    on_mastodon._assert_one_chain(mastodon_server, on_mastodon.POSTS)
    item = on_mastodon._posted(queue)
    assert [r.id for r in item.posted] == [s["id"] for s in mastodon_server.statuses]
    assert "None" not in {r.id for r in item.posted}


@pytest.mark.usefixtures("threads_env")
@pytest.mark.parametrize("kind", FAULTS)
def test_threads_answer_without_an_id(
    tmp_path: Path, threads_server: FakeThreadsServer, kind: str
) -> None:
    """The second publish is made, then answered without its id: looked up, recorded, and the
    thread goes on as one chain."""
    queue = on_threads._queue(tmp_path)
    threads_server.fail_next(kind, after=1)

    report = on_threads._run(queue, on_threads._settings())

    assert threads_server.faults_hit == [kind]
    assert report.exit_code == 0, report.failed
    (item,) = [li.item for li in queue.load_archive()[0]]
    assert [r.id for r in item.posted] == [p["id"] for p in threads_server.posts]
    chain = on_threads._chain(threads_server, [r.id for r in item.posted])
    assert len(chain) == len(on_threads.POSTS)


@pytest.mark.usefixtures("mastodon_env")
@pytest.mark.parametrize("kind", FAULTS)
def test_mastodon_unsaid_then_out_of_time_keeps_the_mark(
    tmp_path: Path, mastodon_server: FakeMastodonServer, kind: str
) -> None:
    """No retry left in the run: the thread is deferred (not failed) with post 2's in-flight
    mark kept and a reason that says why; past the idempotency hour the next run finds post 2
    by looking it up and posts it no second time."""
    queue = on_mastodon._queue(tmp_path)
    mastodon_server.fail_next(kind, after=1)
    settings = on_mastodon._settings(budget=0, timeout=2)

    first = on_mastodon._run(queue, settings)

    assert not first.failed and first.deferred
    item = on_mastodon._posted(queue)
    assert item.sending == 2 and item.reason and "may have been made" in item.reason
    mastodon_server.advance(2 * 3600)
    later = item.not_before + dt.timedelta(hours=3)
    second = on_mastodon._run(queue, on_mastodon._settings(), now=later)
    assert second.exit_code == 0, (second.failed, second.plan.waiting)
    on_mastodon._assert_one_chain(mastodon_server, on_mastodon.POSTS)


@pytest.mark.usefixtures("x_env")
def test_x_deleted_posted_block_is_no_false_duplicate(
    tmp_path: Path, x_server: FakeXServer
) -> None:
    """X half-posted, then its `posted:` block deleted by hand: the next run restores the
    records from the ledger and posts the rest; X's duplicate rule is never met, so the thread
    does not fail with a false "duplicates an older post"."""
    queue = on_x._queue(tmp_path)
    x_server.fail_next("503", after=2, count=50)
    first = on_x._run(queue, on_x._settings(budget=0, timeout=2))
    x_server.clear_faults()
    assert first.deferred and len(x_server.tweets) == 2
    path = queue.paths()[0]
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("posted:\n")
    _, _, body = rest.partition("\n---\n")
    path.write_text(head + "posted: []\n---\n" + body, encoding="utf-8")
    later = on_x._item(queue).not_before + dt.timedelta(hours=1)

    second = on_x._run(queue, on_x._settings(), now=later)

    assert second.failed == [] and second.exit_code == 0
    on_x._assert_one_chain(x_server, on_x.POSTS)
    assert on_x._item(queue).status == "posted"
