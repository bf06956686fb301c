"""Trained models on disk: a reader never sees half a model, and racing writers end with one."""

from __future__ import annotations

import threading
from pathlib import Path

from agents.model_cache import is_cached, read_cached, save_cached


def test_a_saved_model_reads_back_with_its_meta(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "key"
    assert not is_cached(folder)
    save_cached(folder, {"weights": [1, 2, 3]}, {"rows": 3})
    assert is_cached(folder) and read_cached(folder) == {"weights": [1, 2, 3]}
    assert (folder / "meta.json").read_text(encoding="utf-8").strip().startswith("{")
    save_cached(folder, {"weights": [4]}, {"rows": 1})  # a forced retraining replaces it
    assert read_cached(folder) == {"weights": [4]}
    assert [p.name for p in folder.parent.iterdir()] == ["key"]  # nothing staged is left over


def test_racing_writers_and_a_reader_never_fail_and_leave_one_whole_model(tmp_path: Path) -> None:
    """Forced retrainings racing: one writer may land its folder and another move it aside
    between a third's rename and its look; ten rounds of four writers make that likely."""
    for round_ in range(10):
        _race(tmp_path / str(round_) / "models" / "key", writers=4)


def _race(folder: Path, writers: int) -> None:
    save_cached(folder, {"writer": -1}, {})
    errors: list[BaseException] = []
    done = threading.Event()

    def write(number: int) -> None:
        try:
            for _ in range(30):
                save_cached(folder, {"writer": number}, {"writer": number})
        except BaseException as error:
            errors.append(error)

    def read() -> None:
        while not done.is_set():
            try:
                if is_cached(folder):
                    assert "writer" in read_cached(folder)
            except FileNotFoundError:
                pass  # a forced retraining moved the folder aside at that moment
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()
    assert not errors, errors[:3]
    assert is_cached(folder) and read_cached(folder)["writer"] in set(range(writers))
    assert [p.name for p in folder.parent.iterdir()] == ["key"]
