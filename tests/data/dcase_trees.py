"""Hand-made DCASE 2021-2025 trees in each year's real naming: tiny real WAV files and CSV side files."""

from __future__ import annotations

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
