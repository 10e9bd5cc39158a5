"""One paper across small title edits (publisher.revisit.same_paper), and the queue's lock on a
folder it cannot write."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from publisher.errors import QueueError
from publisher.revisit import Paper, edit_distance, same_paper
from publisher.store.filequeue import FileQueue


def paper(title: str, entry_id: str = "2026-11-26-x") -> Paper:
    return Paper.of(entry_id, title)


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("Optimizing Flows for Generation", "Optimising flows for generation"),
        (
            "Mean Flows for One-step Generative Modeling",
            "Mean flows for one step generative modelling",
        ),
        (
            "Mean Flows for One-step Generative Modeling",
            "Mean Flows for Onestep Generative Modeling",
        ),
        ("Colour Constancy in Vision Transformers", "Color constancy in vision transformers"),
        (
            "Reinforcement Learning Finetunes Small Subnetworks",
            "Reinforcment Learning Finetunes Small Subnetworks",
        ),
        ("RealMath: A Continuous Benchmark", "RealMath — a continuous benchmark!"),
        ("Analysing Attention Sinks", "Analyzing attention sinks"),
    ],
)
def test_the_same_paper(one: str, two: str) -> None:
    assert same_paper(paper(one), paper(two))
    assert same_paper(paper(two), paper(one))


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("Scaling Laws for GPT-3 Models", "Scaling Laws for GPT-4 Models"),
        ("Scaling Laws for Language Models", "Scaling Laws for Vision Models"),
        ("Flows for Generation", "Flows for Generations of Cats"),
        ("Mean Flows", "Mean Flaws"),  # two words: too short to call a typo
        ("Learning to Rank with Trees", "Learning to Rank with Graphs"),
    ],
)
def test_different_papers(one: str, two: str) -> None:
    assert not same_paper(paper(one), paper(two))


def test_arxiv_ids_decide_when_both_are_known() -> None:
    same_title = "Attention Is All You Need"
    assert not same_paper(
        paper(same_title, "arxiv-1706.03762"), paper(same_title, "arxiv-2501.00001")
    )
    assert same_paper(paper(same_title, "arxiv-1706.03762"), paper("Other", "arxiv-1706.03762"))


def test_edit_distance() -> None:
    assert edit_distance("optimizing", "optimising") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("a", "abcdef") == 3  # capped


def test_read_only_queue_folder_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder refuses writes (as root, chmod cannot make it so: the refusal is injected
    where the OS gives it): the error names the folder and the cause, not "remove the lock"."""
    queue = FileQueue(tmp_path / "queue")
    queue.root.mkdir()
    real_open = os.open

    def refuse(path: object, flags: int, *args: object) -> int:
        if str(path).endswith(".lock"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(QueueError) as caught, queue.lock():
        pass
    message = str(caught.value)
    assert "the queue folder is not writable (Permission denied)" in message
    assert str(queue.root) in message and "remove it" not in message
