"""Thresholds of deploy-check, in one place (no framework imports)."""

#: Relative score change above which a float32 step is a conversion defect, not rounding. Float32 rounding of
#: the frontend and network moves a clip score by ~1e-6 relative (measured 3e-7 on the generated machines);
#: 1e-3 is far above that and far below what a wrong graph does (the batch-statistics BatchNorm of the defect
#: test moves scores by their own size).
DEFECT_RELATIVE = 1e-3

#: Mel-power bins compared by the frontend parity: those within this many dB of the clip's peak.
WITHIN_DB = 100.0
