"""The queue: one Markdown file per thread in ``queue/``, and what keeps it honest.

- ``common``: what ``publisher/due.py`` shares (states, file names, bounded read, ``enqueued.txt``);
  standard library only.
- ``model``: ``QueueItem``, ``PostRecord``, ``LoadedItem``.
- ``fileformat``: the file text (``render``, ``parse``, ``read_item``).
- ``safeio``: atomic writes, bounded reads (used beyond the queue too).
- ``filequeue``: the store (``FileQueue``: lock, archive, ``posted.txt``), and ``open_and_month``.
- ``ledger``: the append-only record of posts (``posts.jsonl``).
- ``lifecycle``: the only code that changes a thread's status.
- ``queue_merge``: the git merge driver for queue files (run as a script).

This module imports nothing, so ``publisher.store.common`` stays cheap for ``due.py``.
"""
