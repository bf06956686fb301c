"""The sentence encoders' files and settings: an archive split across packages unpacks whole or not
at all, a damaged or missing part is named, and the precision is a setting that keys the models."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from pathlib import Path

import pytest
from pydantic import ValidationError

from agents.support_triage import sentence_encoders
from agents.support_triage.sentence_encoders import (
    EncoderUnavailable,
    embedding_model,
    encoder_set,
    layer_features,
    part_files,
    precision,
    unpack_split_archive,
)
from agents.support_triage.settings import TriageSettings
from agents.support_triage.training import TRAINING_VERSION, NotTrained, data_key, load_models

WEIGHTS = bytes(range(256)) * 400


def _archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _split(data: bytes, folder: Path, cuts: list[int]) -> list[Path]:
    """`data` written as parts cut at `cuts` (byte offsets), named as the packages name theirs."""
    folder.mkdir(parents=True, exist_ok=True)
    bounds = [0, *cuts, len(data)]
    parts = []
    for number, (start, end) in enumerate(itertools.pairwise(bounds), start=1):
        part = folder / f"encoder.zip.{number:03d}"
        part.write_bytes(data[start:end])
        parts.append(part)
    return parts


MEMBERS = {
    "encoder/modules.json": b"[]",
    "encoder/1_Pooling/config.json": b"{}",
    "encoder/model.safetensors": WEIGHTS,
    "encoder/desktop.ini": b"[.ShellClassInfo]",
    "elsewhere/notes.txt": b"not the encoder's",
}


def test_an_archive_split_at_any_bytes_unpacks_its_folder_whole(tmp_path: Path) -> None:
    data = _archive(MEMBERS)
    parts = _split(data, tmp_path / "parts", [7, len(data) // 2, len(data) - 3])
    folder = unpack_split_archive(parts, tmp_path / "encoders" / "encoder", inner="encoder")
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "1_Pooling" / "config.json").read_bytes() == b"{}"
    assert not (folder / "desktop.ini").exists(), "Windows folder settings are left out"
    assert not (folder.parent / "elsewhere").exists(), "only the named folder is unpacked"
    assert [p.name for p in folder.parent.iterdir()] == ["encoder"], "no staging left behind"


def test_a_damaged_part_is_named_and_leaves_no_folder(tmp_path: Path) -> None:
    data = bytearray(_archive({"encoder/modules.json": b"[]", "encoder/model.bin": WEIGHTS}))
    data[len(data) // 3] ^= 0xFF  # inside the compressed weights: their checksum fails
    parts = _split(bytes(data), tmp_path / "parts", [len(data) // 2])
    target = tmp_path / "encoders" / "encoder"
    with pytest.raises(EncoderUnavailable, match=r"cannot unpack encoder from .*encoder\.zip\.001"):
        unpack_split_archive(parts, target, inner="encoder")
    assert not target.exists()
    assert list(target.parent.iterdir()) == [], "the half-unpacked staging folder is removed"


def test_a_missing_part_is_named_with_what_to_do(tmp_path: Path) -> None:
    data = _archive(MEMBERS)
    parts = _split(data, tmp_path / "parts", [len(data) // 2])
    with pytest.raises(EncoderUnavailable, match="cannot unpack encoder"):
        unpack_split_archive(parts[:1], tmp_path / "out", inner="encoder")
    with pytest.raises(EncoderUnavailable, match=r"no-such-part-package.*is not installed"):
        part_files(["no-such-part-package"])


def test_an_archive_without_the_folder_or_with_an_escaping_path_is_refused(tmp_path: Path) -> None:
    other = _split(_archive({"elsewhere/modules.json": b"[]"}), tmp_path / "a", [])
    with pytest.raises(EncoderUnavailable, match=r"holds no encoder/modules\.json"):
        unpack_split_archive(other, tmp_path / "out", inner="encoder")
    escaping = _split(_archive({"encoder/../../evil.txt": b"x"}), tmp_path / "b", [])
    with pytest.raises(EncoderUnavailable, match="unsafe path"):
        unpack_split_archive(escaping, tmp_path / "out", inner="encoder")
    assert not (tmp_path / "evil.txt").exists()


def test_the_installed_parts_are_found_in_order() -> None:
    parts = part_files(sentence_encoders.MPNET_PARTS)
    assert [p.name for p in parts] == [f"all-mpnet-base-v2.zip.00{n}" for n in range(1, 6)]
    assert all(p.is_file() for p in parts)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A training file (its contents only key the models)."""
    path = tmp_path / "train.csv"
    path.write_text("text,category\na,x\nb,x\n", encoding="utf-8")
    return path


def test_the_precision_is_a_setting_and_part_of_the_models_key(
    monkeypatch: pytest.MonkeyPatch, data: Path
) -> None:
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODER_PRECISION", "float32")
    assert precision() == "float32"
    as_float32 = data_key(data)
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODER_PRECISION", "bfloat16")
    assert precision() == "bfloat16"
    assert data_key(data) != as_float32
    assert "-float32-" in as_float32
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODER_PRECISION", "half")
    with pytest.raises(ValidationError, match="encoder_precision"):
        TriageSettings()


def test_the_encoder_set_is_a_setting_and_part_of_the_models_key(
    monkeypatch: pytest.MonkeyPatch, data: Path
) -> None:
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODERS", "minilm")
    alone = data_key(data)
    assert alone.endswith("-minilm")
    assert "all-mpnet-base-v2" not in embedding_model() + layer_features()
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODERS", "minilm+mpnet")
    both = data_key(data)
    assert both.endswith("-minilm+mpnet") and both != alone
    assert "all-mpnet-base-v2" in embedding_model() and "3,072 features" in layer_features()
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODERS", "mpnet")
    with pytest.raises(ValidationError, match="encoders"):
        TriageSettings()


@pytest.mark.parametrize(
    ("native", "configured", "expected"),
    [
        ("bfloat16", "auto", "minilm+mpnet"),
        ("float32", "auto", "minilm"),
        ("bfloat16", "float32", "minilm"),
        ("float32", "bfloat16", "minilm"),
    ],
)
def test_auto_reads_with_both_encoders_only_where_they_run_in_native_bfloat16(
    monkeypatch: pytest.MonkeyPatch, native: str, configured: str, expected: str
) -> None:
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODERS", "auto")
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODER_PRECISION", configured)
    monkeypatch.setattr(sentence_encoders, "_native_precision", lambda: native)
    assert encoder_set() == expected


def _trained_for(models_dir: Path, data: Path, **meta: str) -> None:
    """A models folder for `data` as training leaves it, trained for the settings in `meta`."""
    folder = models_dir / "support_triage" / f"older-{len(list(models_dir.glob('*/*')))}"
    folder.mkdir(parents=True)
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    stamp = {"sha256": digest, "trained_at": "2026-12-06T10:00:00+00:00", **meta}
    (folder / "meta.json").write_text(json.dumps(stamp), encoding="utf-8")


def test_models_trained_for_other_settings_are_named_with_each_setting_that_differs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: Path
) -> None:
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODERS", "minilm")
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODER_PRECISION", "float32")
    both = {"encoders": "minilm+mpnet", "encoder_precision": "bfloat16"}
    _trained_for(tmp_path / "models", data, training_version=TRAINING_VERSION, **both)
    with pytest.raises(NotTrained) as raised:
        load_models(data, tmp_path / "models")
    message = str(raised.value)
    assert "for another precision, encoders: precision bfloat16, here float32; " in message
    assert "encoders minilm+mpnet, here minilm; to use them, set BATON_SUPPORT_TRIAGE_" in message
    assert message.endswith("run `baton train support_triage`")

    # Models of the training version before the set was a setting were read by both encoders.
    _trained_for(tmp_path / "old", data, training_version="8", encoder_precision="float32")
    with pytest.raises(NotTrained, match="for another training version, encoders: training ver"):
        load_models(data, tmp_path / "old")
    _trained_for(
        tmp_path / "models",
        data,
        training_version=TRAINING_VERSION,
        **{"encoders": "minilm", "encoder_precision": "float32"},
    )
    with pytest.raises(NotTrained, match=r"in older-1, but the keyword rules changed since\)"):
        load_models(data, tmp_path / "models")


def test_a_broken_compressed_stream_is_named_as_damaged_parts(tmp_path: Path) -> None:
    data = bytearray(_archive({"encoder/modules.json": b"[]", "encoder/model.bin": WEIGHTS}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        member = archive.getinfo("encoder/model.bin")
    name_length = int.from_bytes(
        data[member.header_offset + 26 : member.header_offset + 28], "little"
    )
    extra_length = int.from_bytes(
        data[member.header_offset + 28 : member.header_offset + 30], "little"
    )
    data[member.header_offset + 30 + name_length + extra_length] = 0xFF  # an invalid block type
    parts = _split(bytes(data), tmp_path / "parts", [len(data) // 2])
    with pytest.raises(EncoderUnavailable, match="the parts are damaged: reinstall"):
        unpack_split_archive(parts, tmp_path / "out" / "encoder", inner="encoder")


def test_a_folder_in_the_way_is_named_with_what_to_do(tmp_path: Path) -> None:
    parts = _split(_archive(MEMBERS), tmp_path / "parts", [])
    target = tmp_path / "encoders" / "encoder"
    target.mkdir(parents=True)
    (target / "half.bin").write_bytes(b"left from something else")
    with pytest.raises(EncoderUnavailable, match=r"encoders/encoder \(delete it, or set BATON_"):
        unpack_split_archive(parts, target, inner="encoder")
    assert (target / "half.bin").exists(), "nothing of the user's is removed"
