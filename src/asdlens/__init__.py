"""asdlens: anomalous sound detection on machine sounds, with frontends that match librosa exactly."""

__version__ = "0.1.0"
