"""The queue folder: the file format people edit, atomic writes, the lock, located parse errors."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from publisher.errors import InputError, QueueBusy
from publisher.store.fileformat import parse, read_item, render
from publisher.store.filequeue import FileQueue
from publisher.store.model import PostRecord, QueueItem

SEOUL = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2025, 5, 20, 9, 0, tzinfo=SEOUL)


def item(**changes: object) -> QueueItem:
    fields: dict[str, object] = {
        "id": "2025-05-20-mean-flows",
        "platform": "x",
        "title": "Mean Flows: for One-step 'Generative' Modeling",
        "source": "examples/digest-2025-05-20.txt:2",
        "not_before": T0,
        "created": T0 - dt.timedelta(hours=1),
        "posts": [
            "Mean Flows for One-step Generative Modeling\n#diffusion\n1/3",
            "평균 속도를 추정하는 방식의 1/Few-shot Flow Matching.\n2/3",
            "An 1/few-shot flow matching that estimates average velocity.\n---\n3/3",
        ],
    }
    fields.update(changes)
    return QueueItem.model_validate(fields)


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def problems_of(text: str, name: str = "q.x.md") -> list[tuple[int | None, str]]:
    with pytest.raises(InputError) as caught:
        parse(text, Path(name))
    return [(p.line, p.message) for p in caught.value.problems]


class TestFormat:
    """A queue file is YAML front matter, then each post under its own separator line."""

    def test_render_layout(self) -> None:
        """Front matter first, separators numbered from 1, Hangul written as is (not escaped)."""
        text = render(item())
        lines = lines_of(text)
        assert lines[0] == "---"
        assert lines[1] == "id: 2025-05-20-mean-flows"
        assert "platform: x" in lines
        assert "status: pending" in lines
        assert "posted: []" in lines
        assert [n for n, line in enumerate(lines) if line.startswith("---- post ")] == [
            lines.index("---- post 1 ----"),
            lines.index("---- post 2 ----"),
            lines.index("---- post 3 ----"),
        ]
        assert "평균 속도를 추정하는 방식의" in text
        assert "\\u" not in text
        assert text.endswith("3/3\n")

    def test_round_trip(self) -> None:
        """Parsing the rendered text gives back the same item, including posted records."""
        original = item(
            status="posting",
            sending=2,
            reason="gave up for this run: 503",
            posted=[
                PostRecord(post=1, id="11", url="https://x.com/i/web/status/11", at=T0, sha="abc")
            ],
        )
        loaded = parse(render(original), Path("a.x.md"))
        assert loaded.item == original
        assert loaded.item.posts == original.posts
        assert loaded.item.not_before == T0
        again = render(loaded.item)
        assert again == render(original)

    def test_post_lines(self) -> None:
        """``post_lines`` is the 1-based line where each post's text starts."""
        text = render(item())
        loaded = parse(text, Path("a.x.md"))
        lines = lines_of(text)
        for number, line in enumerate(loaded.post_lines, 1):
            assert lines[line - 2] == f"---- post {number} ----"
            assert lines[line - 1] == loaded.item.posts[number - 1].splitlines()[0]

    def test_hand_edited_file_reads(self) -> None:
        """A person's edit (extra blank lines, trailing spaces on a separator) still reads."""
        text = render(item()).replace("---- post 2 ----\n", "---- post 2 ----  \n\n\n")
        loaded = parse(text.replace("1/3\n", "1/3\n\n\n"), Path("a.x.md"))
        assert loaded.item.posts == item().posts

    def test_key_and_filename(self) -> None:
        """A thread's file is named after its entry id and platform."""
        one = item(platform="bluesky")
        assert one.key == "2025-05-20-mean-flows.bluesky"
        assert one.filename == "2025-05-20-mean-flows.bluesky.md"


class TestParseErrors:
    """A file that does not read is reported with its path and the line of the problem."""

    def test_missing_front_matter(self) -> None:
        """No leading '---' is line 1."""
        assert problems_of("id: x\n")[0][0] == 1

    def test_front_matter_not_closed(self) -> None:
        """An unclosed front matter is reported at line 1."""
        text = render(item(posts=["one", "two"])).replace("\n---\n", "\n", 1)
        assert problems_of(text) == [(1, "front matter is not closed by a '---' line")]

    def test_broken_yaml(self) -> None:
        """Invalid YAML names the line it breaks on."""
        text = render(item())
        line = lines_of(text).index("status: pending") + 1
        broken = text.replace("status: pending", "status: pending: now")
        ((where, message),) = problems_of(broken)
        assert where == line
        assert "not valid YAML" in message

    def test_unknown_field(self) -> None:
        """A field the queue does not know is reported at its own line."""
        text = render(item()).replace("platform: x\n", "platform: x\npriority: high\n")
        line = lines_of(text).index("priority: high") + 1
        ((where, message),) = problems_of(text)
        assert where == line
        assert "priority" in message

    def test_bad_status(self) -> None:
        """A misspelt status is reported at the status line."""
        text = render(item()).replace("status: pending", "status: hold")
        line = lines_of(text).index("status: hold") + 1
        ((where, message),) = problems_of(text)
        assert where == line
        assert message.startswith("status:")

    def test_naive_time_refused(self) -> None:
        """``not_before`` must carry its time zone."""
        text = render(item()).replace("'2025-05-20T09:00:00+09:00'", "2025-05-20T09:00:00", 1)
        line = next(i for i, x in enumerate(lines_of(text), 1) if x.startswith("not_before:"))
        assert [w for w, _ in problems_of(text)] == [line]

    def test_missing_first_separator(self) -> None:
        """Text before '---- post 1 ----' is reported, at that text's line."""
        text = render(item())
        lines = lines_of(text)
        # Without its separator, post 1's first line moves up to where the separator was.
        first_text = lines.index("---- post 1 ----") + 1
        found = problems_of(text.replace("---- post 1 ----\n", ""))
        assert found[0] == (first_text, "text before the first '---- post 1 ----' line")
        assert any("expected '---- post 1 ----' here" in m for _, m in found)

    def test_separator_out_of_order(self) -> None:
        """A skipped post number is reported on its separator line."""
        text = render(item()).replace("---- post 3 ----", "---- post 4 ----")
        line = lines_of(text).index("---- post 4 ----") + 1
        assert problems_of(text) == [(line, "expected '---- post 3 ----' here")]

    def test_no_posts(self) -> None:
        """A file with front matter but no posts is refused."""
        text = render(item())
        head = text[: text.index("\n---- post 1")] + "\n"
        ((_, message),) = problems_of(head)
        assert "no posts" in message

    def test_empty_post(self) -> None:
        """A separator with nothing under it is an empty post, reported at the separator."""
        text = render(item())
        lines = lines_of(text)
        start = lines.index("---- post 2 ----")
        end = lines.index("---- post 3 ----")
        emptied = "\n".join(lines[: start + 1] + lines[end:]) + "\n"
        assert problems_of(emptied) == [(start + 1, "post 2 is empty")]

    def test_not_utf8(self, tmp_path: Path) -> None:
        """Bytes that are not UTF-8 are reported with the line they are on."""
        path = tmp_path / "a.x.md"
        data = render(item()).encode()
        cut = data.index(b"\xed\x8f\x89")  # the first Hangul syllable, in post 2
        path.write_bytes(data[:cut] + b"\xff" + data[cut + 1 :])
        with pytest.raises(InputError) as caught:
            read_item(path)
        (problem,) = caught.value.problems
        assert problem.path == str(path)
        assert problem.line == data[:cut].count(b"\n") + 1
        assert str(problem).startswith(f"{path}:{problem.line}: not UTF-8")

    def test_problem_prints_path_and_line(self, tmp_path: Path) -> None:
        """The printed problem is ``path:line: message``."""
        path = tmp_path / "a.x.md"
        path.write_text(render(item()).replace("status: pending", "status: hold"))
        with pytest.raises(InputError) as caught:
            read_item(path)
        assert str(caught.value).startswith(f"{path}:6: status:")


class TestIdentity:
    """The file name is the thread's identity: ``<id>.<platform>.md``."""

    def test_edited_id_refused(self, tmp_path: Path) -> None:
        """A file whose ``id`` no longer matches its name is refused at the ``id`` line."""
        path = FileQueue(tmp_path).save(item())
        path.write_text(path.read_text().replace("id: 2025-05-20-mean-flows", "id: renamed"))
        with pytest.raises(InputError) as caught:
            read_item(path)
        (problem,) = caught.value.problems
        assert (problem.path, problem.line) == (str(path), 2)
        assert "renamed.x" in problem.message

    def test_edited_platform_refused(self, tmp_path: Path) -> None:
        """Changing ``platform`` by hand is refused too (it would fork the thread)."""
        path = FileQueue(tmp_path).save(item())
        path.write_text(path.read_text().replace("platform: x", "platform: bluesky"))
        with pytest.raises(InputError, match=r"mean-flows\.bluesky"):
            read_item(path)


class TestFolder:
    """Which files are queue items, and how a broken one is reported among good ones."""

    def test_paths_skip_temporaries_and_readme(self, tmp_path: Path) -> None:
        """Only ``*.md`` item files count: no ``.tmp-*``, dot files, README.md or other files."""
        queue = FileQueue(tmp_path)
        queue.save(item())
        for name in (".tmp-abc.tmp", ".tmp-x.md", ".hidden.md", "README.md", "notes.txt"):
            (tmp_path / name).write_text("garbage")
        assert [p.name for p in queue.paths()] == ["2025-05-20-mean-flows.x.md"]
        items, problems = queue.load()
        assert [li.item.key for li in items] == ["2025-05-20-mean-flows.x"]
        assert problems == []

    def test_missing_folder_is_empty(self, tmp_path: Path) -> None:
        """A queue folder that does not exist yet is an empty queue."""
        assert FileQueue(tmp_path / "nope").load() == ([], [])

    def test_load_reports_broken_and_keeps_others(self, tmp_path: Path) -> None:
        """``load`` returns the good items and the problems of the broken file."""
        queue = FileQueue(tmp_path)
        good = queue.save(item())
        bad = queue.save(item(id="2025-05-20-other"))
        bad.write_text(bad.read_text().replace("---- post 1 ----\n", ""))
        items, problems = queue.load()
        assert [li.path for li in items] == [good]
        assert problems and all(p.path == str(bad) and p.line for p in problems)

    def test_save_writes_file_named_by_key(self, tmp_path: Path) -> None:
        """``save`` creates the folder and writes ``<id>.<platform>.md``."""
        queue = FileQueue(tmp_path / "queue")
        path = queue.save(item(platform="bluesky"))
        assert path == tmp_path / "queue" / "2025-05-20-mean-flows.bluesky.md"
        assert read_item(path).item == item(platform="bluesky")


class TestAtomicWrite:
    """A write leaves the old file or the new one, never half of either, and no temporaries."""

    def test_replace_fails_keeps_old(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """If the rename fails, the old file is untouched and the temporary is removed."""
        queue = FileQueue(tmp_path)
        path = queue.save(item())
        before = path.read_bytes()

        def boom(*_: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", boom)
        with pytest.raises(OSError, match="disk full"):
            queue.save(item(status="held"))
        assert path.read_bytes() == before
        assert sorted(os.listdir(tmp_path)) == [path.name]

    def test_write_fails_keeps_old(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """If fsync of the temporary fails, the old file is untouched and the temporary removed."""
        queue = FileQueue(tmp_path)
        path = queue.save(item())
        before = path.read_bytes()

        def boom(_: int) -> None:
            raise OSError("I/O error")

        monkeypatch.setattr(os, "fsync", boom)
        with pytest.raises(OSError, match="I/O error"):
            queue.save(item(status="held"))
        assert path.read_bytes() == before
        assert sorted(os.listdir(tmp_path)) == [path.name]

    def test_new_content_replaces(self, tmp_path: Path) -> None:
        """A successful save replaces the whole file, with LF line ends."""
        queue = FileQueue(tmp_path)
        path = queue.save(item())
        queue.save(item(status="held", posts=["one"]))
        data = path.read_bytes()
        assert b"\r\n" not in data
        assert read_item(path).item.posts == ["one"]
        assert read_item(path).item.status == "held"


class TestLock:
    """One run at a time: ``flock`` on ``.lock``, released when the holder ends."""

    def test_second_lock_is_busy(self, tmp_path: Path) -> None:
        """While one holder has the lock, another gets ``QueueBusy`` naming the queue."""
        queue = FileQueue(tmp_path)
        with queue.lock(), pytest.raises(QueueBusy, match="busy"), FileQueue(tmp_path).lock():
            pass  # pragma: no cover - never reached
        with FileQueue(tmp_path).lock():
            pass

    def test_lock_cleans_temporaries(self, tmp_path: Path) -> None:
        """Taking the lock removes ``.tmp-*`` files left by a crashed writer, nothing else."""
        queue = FileQueue(tmp_path)
        path = queue.save(item())
        (tmp_path / ".tmp-abandoned.tmp").write_text("half")
        with queue.lock():
            assert sorted(os.listdir(tmp_path)) == [".lock", path.name]

    def test_busy_lock_leaves_temporaries(self, tmp_path: Path) -> None:
        """A run that finds the queue busy does not touch the holder's temporaries."""
        queue = FileQueue(tmp_path)
        with queue.lock():
            (tmp_path / ".tmp-inflight.tmp").write_text("being written")
            with pytest.raises(QueueBusy), FileQueue(tmp_path).lock():
                pass  # pragma: no cover
            assert (tmp_path / ".tmp-inflight.tmp").exists()
