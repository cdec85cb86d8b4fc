"""Hand-made DCASE 2021-2025 trees in each year's real naming: tiny real WAV files and CSV side files."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import soundfile as sf


def wav(path: Path, n: int = 160) -> Path:
    """A tiny real 16-bit mono WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(n, np.int16), 16000, subtype="PCM_16")
    return path


def text(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def labelled(section, domain, split, label, index, suffix=None) -> str:
    kind = "anomaly" if label else "normal"
    tail = "" if suffix is None else f"_{suffix}"
    return f"section_{section}_{domain}_{split}_{kind}_{index:04d}{tail}.wav"


def tree_2021(root: Path) -> Path:
    """2021: dev fan sections 00/01 (3 source + 1 target train, 2 + 2 test per domain), eval fan section 03."""
    for section in ("00", "01"):
        for i in range(3):
            wav(root / "fan/train" / labelled(section, "source", "train", 0, i, "A1Spd28VMic1"))
        wav(root / "fan/train" / labelled(section, "target", "train", 0, 0, "pattern_00_no_pump"))
        for domain in ("source", "target"):
            for label in (0, 1):
                for i in range(2):
                    wav(root / f"fan/{domain}_test" / labelled(section, domain, "test", label, i))
    for i in range(2):
        wav(root / "fan/train" / labelled("03", "source", "train", 0, i, "x"))
    for domain in ("source", "target"):
        for i in range(4):
            wav(root / f"fan/{domain}_test/section_03_{domain}_test_{i:04d}.wav")
    return root


def tree_2022_dev(root: Path) -> Path:
    """2022 dev: fan sections 00 and 01 with attributes_XX.csv; ToyCar section 00 without a table."""
    for section, value in (("00", "W"), ("01", "X")):
        names = []
        for i in range(2):
            names.append(("train", labelled(section, "source", "train", 0, i, f"m-n_{value}")))
        names.append(("train", labelled(section, "target", "train", 0, 0, "m-n_Y")))
        for domain, v in (("source", value), ("target", "Y")):
            for label in (0, 1):
                names.append(("test", labelled(section, domain, "test", label, 0, f"m-n_{v}")))
        for split, name in names:
            wav(root / "fan" / split / name)
        rows = ["file_name,d1p,d1v"] + [
            f"fan/{split}/{name},m-n,{name.rsplit('_', 1)[1][:-4]}" for split, name in names
        ]
        text(root / "fan" / f"attributes_{section}.csv", rows)
    wav(root / "ToyCar/train" / labelled("00", "source", "train", 0, 0, "car_A1_spd_28V_mic_1_noise_1"))
    wav(root / "ToyCar/test" / labelled("00", "target", "test", 1, 0, "car_B2_spd_31V_mic_1_noise_1"))
    return root


N_2026 = 2048  # samples per clip of the hand-made 2026 trees


def wav2(path: Path, seed: int, channels: int = 2) -> Path:
    """A small real 16-bit WAV whose channels differ (channel 0 louder than channel 1)."""
    rng = np.random.default_rng(seed)
    data = (rng.standard_normal((N_2026, channels)) * [3000, 800, 200][:channels]).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, 16000, subtype="PCM_16")
    return path


def type_2026(root: Path, machine_type: str, named: bool, *, eval_test: bool = False) -> None:
    """One type of a 2026 part in the real naming: 2 source + 1 target train clips, test clips (one per domain x
    label, or two hidden evaluation names), ``attributes_00.csv`` (noise A in the source domain, B in the
    target); ``named=False`` writes the README's empty ``_`` suffix instead of the attributes."""
    value = {"source": "A", "target": "B"}
    clips = [("train", d, 0, i) for d, n in (("source", 2), ("target", 1)) for i in range(n)]
    if not eval_test:
        clips += [("test", d, label, 0) for d in ("source", "target") for label in (0, 1)]
    names = [
        (split, labelled("00", d, split, label, i, f"noise_{value[d]}" if named else ""))
        for split, d, label, i in clips
    ]
    names += [("test", f"section_00_{i:04d}.wav") for i in range(2 if eval_test else 0)]
    for i, (split, name) in enumerate(names):
        wav2(root / machine_type / split / name, seed=zlib.crc32(f"{machine_type}{i}".encode()))
    rows = [f"{machine_type}/{split}/{name},noise,{value[name.split('_')[2]]}" for split, name in names
            if name.count("_") > 3]  # fmt: skip
    text(root / machine_type / "attributes_00.csv", ["file_name,d1p,d1v", *rows])


def tree_2026(root: Path) -> Path:
    """``dev_data/`` (ToyCarEmu with attributes in the names, fan with the empty suffix) and ``eval_data/``
    (ToyDrone: training clips + hidden test names), every clip two-channel."""
    type_2026(root / "dev_data", "ToyCarEmu", True)
    type_2026(root / "dev_data", "fan", False)
    type_2026(root / "eval_data", "ToyDrone", False, eval_test=True)
    return root
