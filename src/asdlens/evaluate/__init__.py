"""Anomaly scores, AUC/pAUC per machine ID (DCASE 2020, MIMII) and per section x domain (DCASE 2021-2025), the
official scores, the official result files (writers and readers) and the published reference tables. Needs
scikit-learn and SciPy only when metrics are computed.

>>> from asdlens.evaluate import id_metrics, reference, write_result_csv, read_result_csv
>>> from asdlens.evaluate import evaluate_official, ScoreRow          # DCASE 2021-2025
"""

from ..atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from .bootstrap import BootstrapOptions, Draws, auc_interval, paired_difference
from .decision import DECISION_QUANTILE, decide, gamma_threshold
from .domain_reference import DOMAIN_REFERENCES, DomainReferenceRow, DomainReferenceTable
from .domains import (
    PROTOCOLS,
    RULES,
    EvaluatorRule,
    ScoreRow,
    SectionResult,
    evaluator_rule,
    section_metrics,
    section_result,
)
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
from .intervals import IdScores, difference, id_draws, intervals_json, section_draws
from .metrics import (
    IdResult,
    TypeAverage,
    id_metrics,
    mean_defined,
    mean_over_types,
    official_score_2020,
    type_average_rows,
    type_averages,
)
from .official import (
    COLUMN_NAMES,
    HEADLINE_METRICS,
    HEADLINE_NAMES,
    OfficialResult,
    domain_clips,
    domain_table,
    headline,
    hmean_floor,
    jackknife_ci95,
    official_columns,
    official_score,
    official_values,
    rows_from_clips,
    section_values,
    summarize_sections,
)
from .official import evaluate as evaluate_official
from .reference import REFERENCES, ReferenceRow, ReferenceTable, reference
from .result_csv import EvaluatorResult
from .result_csv import read_result_csv as read_evaluator_result_csv
from .result_csv import write_result_csv as write_evaluator_result_csv
from .scores import AGGREGATES, clip_score, clip_scores
from .submission import (
    Submission,
    parse_score_file_name,
    read_score_file,
    read_submission,
    score_file_name,
    submission_rows,
    write_submission,
)

__all__ = [
    "AGGREGATES",
    "BootstrapOptions",
    "Draws",
    "IdScores",
    "auc_interval",
    "difference",
    "id_draws",
    "intervals_json",
    "paired_difference",
    "section_draws",
    "COLUMN_NAMES",
    "DECISION_QUANTILE",
    "DOMAIN_REFERENCES",
    "PROTOCOLS",
    "REFERENCES",
    "RULES",
    "DomainReferenceRow",
    "DomainReferenceTable",
    "EvaluatorResult",
    "EvaluatorRule",
    "HEADLINE_METRICS",
    "HEADLINE_NAMES",
    "IdResult",
    "OfficialResult",
    "ReferenceRow",
    "ReferenceTable",
    "ResultSection",
    "ScoreRow",
    "SectionResult",
    "Submission",
    "TypeAverage",
    "anomaly_score_file_name",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "clip_score",
    "clip_scores",
    "decide",
    "domain_clips",
    "domain_table",
    "evaluate_official",
    "evaluator_rule",
    "gamma_threshold",
    "headline",
    "hmean_floor",
    "id_metrics",
    "jackknife_ci95",
    "mean_defined",
    "mean_over_types",
    "mimii_result_key",
    "official_columns",
    "official_score",
    "official_score_2020",
    "official_values",
    "parse_score_file_name",
    "read_anomaly_scores",
    "read_evaluator_result_csv",
    "read_mimii_result_yaml",
    "read_result_csv",
    "read_score_file",
    "read_submission",
    "reference",
    "result_sections",
    "rows_from_clips",
    "score_file_name",
    "section_metrics",
    "section_values",
    "section_result",
    "snr_folder",
    "submission_rows",
    "summarize_sections",
    "type_average_rows",
    "type_averages",
    "write_anomaly_scores",
    "write_evaluator_result_csv",
    "write_mimii_result_yaml",
    "write_result_csv",
    "write_submission",
]
