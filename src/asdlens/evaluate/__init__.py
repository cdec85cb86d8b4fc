"""Anomaly scores, AUC/pAUC per machine ID, the official result files (writers and readers) and the published
reference tables. Needs scikit-learn only when metrics are computed.

>>> from asdlens.evaluate import id_metrics, reference, write_result_csv, read_result_csv
"""

from .atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from .files import (
    ResultSection,
    anomaly_score_file_name,
    mimii_result_key,
    read_anomaly_scores,
    read_mimii_result_yaml,
    read_result_csv,
    result_sections,
    snr_folder,
    write_anomaly_scores,
    write_mimii_result_yaml,
    write_result_csv,
)
from .metrics import IdResult, id_metrics, mean_defined, type_averages
from .reference import REFERENCES, ReferenceRow, ReferenceTable, reference
from .scores import AGGREGATES, clip_score, clip_scores

__all__ = [
    "AGGREGATES",
    "REFERENCES",
    "IdResult",
    "ReferenceRow",
    "ReferenceTable",
    "ResultSection",
    "anomaly_score_file_name",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "clip_score",
    "clip_scores",
    "id_metrics",
    "mean_defined",
    "mimii_result_key",
    "read_anomaly_scores",
    "read_mimii_result_yaml",
    "read_result_csv",
    "reference",
    "result_sections",
    "snr_folder",
    "type_averages",
    "write_anomaly_scores",
    "write_mimii_result_yaml",
    "write_result_csv",
]
