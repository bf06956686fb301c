"""The sentence encoders' files and settings: an archive split across packages unpacks whole or not
at all, a damaged or missing part is named, and the precision is a setting that keys the models."""

from __future__ import annotations

import io
import itertools
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
from agents.support_triage.training import data_key

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


def test_the_precision_is_a_setting_and_part_of_the_models_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "train.csv"
    data.write_text("text,category\na,x\nb,x\n", encoding="utf-8")
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
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "train.csv"
    data.write_text("text,category\na,x\nb,x\n", encoding="utf-8")
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
    ("native", "expected"), [("bfloat16", "minilm+mpnet"), ("float32", "minilm")]
)
def test_auto_reads_with_both_encoders_only_where_the_cpu_computes_bfloat16(
    monkeypatch: pytest.MonkeyPatch, native: str, expected: str
) -> None:
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ENCODERS", "auto")
    monkeypatch.setattr(sentence_encoders, "_native_precision", lambda: native)
    assert encoder_set() == expected


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
