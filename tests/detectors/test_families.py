"""Each detector family fits and scores a tiny generated tree; saved and loaded it scores the same; a clip's score
does not depend on the clips scored with it; bad input gets a clear error.

Fitting real Keras models takes 5 to 60 s per family on 2 cores, so these are slow tests (``make test-all``);
``make test`` keeps the end-to-end ``explain`` between the autoencoder and arcface-knn, which fits both."""

from __future__ import annotations

import numpy as np
import pytest
from detector_fixtures import settings, subset

from asdlens.models.base import TrainingEmbeddings, clip_classes
from asdlens.models.detectors import load_detector, make_detector
from asdlens.models.scorers import ClassConfidence, KNearestCosine

FAMILIES = {
    "autoencoder": ["training.epochs=2", "training.batch_size=64"],
    "mobilenetv2": ["model.name=mobilenetv2", "frames=32", "training.epochs=1", "training.batch_size=16"],
    "arcface": ["model.name=margin_cnn", "model.per=all", "frames=32", "model.hop=8", "model.width=0.25",
                "training.epochs=2", "training.batch_size=16", "training.validation_split=0",
                "training.learning_rate=1e-3"],
    "adacos": ["model.name=margin_cnn", "model.per=all", "frames=32", "model.hop=8", "model.width=0.25",
               "model.loss=adacos", "model.subclusters=2", "model.mixup=0.5", "training.epochs=2",
               "training.batch_size=16", "training.validation_split=0", "training.learning_rate=1e-3"],
    "mobilefacenet": ["model.name=mobilefacenet", "model.per=all", "frames=32", "model.hop=16", "model.width=0.125",
                      "model.embedding_dim=16", "training.epochs=1", "training.batch_size=16",
                      "training.validation_split=0"],
}  # fmt: skip
BACKENDS = {
    "autoencoder": ["default", "mahalanobis", "cosine", "knn", "gmm"],
    "mobilenetv2": ["default", "confidence", "knn"],
    "arcface": ["default", "confidence", "cosine", "knn", "gmm", "mahalanobis"],
    "adacos": ["default", "knn"],
    "mobilefacenet": ["default", "knn"],
}


pytestmark = pytest.mark.slow


def families(*names):
    return [pytest.param(n, id=n) for n in names]


def with_backend(s: dict, backend: str) -> dict:
    return {**s, "scoring": {**s["scoring"], "backend": backend}}


@pytest.fixture(scope="module")
def fit():
    """``fit(name, train, folder_factory)``: the family's detector fitted once per module, saved to a folder."""
    done = {}

    def get(name, train, tmp_path_factory):
        if name not in done:
            s = settings(FAMILIES[name])
            detector = make_detector(s)
            info = detector.fit(train, seed=1)
            folder = tmp_path_factory.mktemp(name)
            detector.save(folder)
            done[name] = (name, s, detector, info, folder)
        return done[name]

    return get


@pytest.mark.parametrize("name", families(*FAMILIES))
def test_fits_and_scores_with_every_backend(name, fit, tiny_sets, tmp_path_factory):
    name, s, detector, info, folder = fit(name, tiny_sets[0], tmp_path_factory)
    train, test = tiny_sets
    assert info["n_clips"] == train.n_clips and info["n_vectors"] > 0
    assert len(info["history"]["loss"]) == s["training"]["epochs"]
    assert all(np.isfinite(info["history"]["loss"]))
    embeddings = detector.embed(test)
    assert embeddings.shape[0] == test.n_clips
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-12)
    for backend in BACKENDS[name]:
        loaded = load_detector(folder, with_backend(s, backend))
        scores = loaded.score(test)
        assert scores.shape == (test.n_clips,) and np.all(np.isfinite(scores)), backend
        if backend == "default":  # the fitted detector scores as the saved one (same process: same bits)
            assert np.array_equal(scores, detector.score(test))
        # each clip is scored on its own
        assert np.array_equal(loaded.score(subset(test, [5, 0, 9])), scores[[5, 0, 9]]), backend


@pytest.mark.parametrize("name", families("autoencoder", "arcface", "mobilenetv2"))
def test_embedding_backends_use_the_ids_training_embeddings(name, fit, tiny_sets, tmp_path_factory):
    name, s, detector, _, folder = fit(name, tiny_sets[0], tmp_path_factory)
    train, test = tiny_sets
    reference = TrainingEmbeddings.load(folder)
    assert reference.keys == clip_classes(train)
    np.testing.assert_array_equal(reference.vectors, detector.embed(train))
    knn = load_detector(folder, with_backend(s, "knn"))
    keys = clip_classes(test)
    expected = [KNearestCosine(1).fit(reference.of(k)).anomaly_score(e[None])[0]
                for k, e in zip(keys, detector.embed(test), strict=True)]  # fmt: skip
    np.testing.assert_allclose(knn.score(test), expected, rtol=1e-12)


@pytest.mark.parametrize("name", families("arcface", "adacos"))
def test_class_confidence_is_the_mean_minus_log_p_of_the_clips_id(name, fit, tiny_sets, tmp_path_factory):
    name, s, detector, _, folder = fit(name, tiny_sets[0], tmp_path_factory)
    _, test = tiny_sets
    keys = clip_classes(test)
    expected = []
    for i in range(test.n_clips):
        log_p = detector.class_log_probs(
            detector._embeddings(detector.windows_of(test, i, detector.params["hop"]))
        )
        np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0, rtol=1e-9)
        expected.append(
            ClassConfidence(detector.classes.index(keys[i])).fit(log_p).anomaly_score(log_p).mean()
        )
    np.testing.assert_allclose(
        load_detector(folder, with_backend(s, "confidence")).score(test), expected, rtol=1e-12
    )
    # default is the confidence for this family
    np.testing.assert_allclose(detector.score(test), expected, rtol=1e-12)


def test_classifier_default_score_is_the_dcase2022_formula(fit, tiny_sets, tmp_path_factory):
    name, s, detector, _, _ = fit("mobilenetv2", tiny_sets[0], tmp_path_factory)
    _, test = tiny_sets
    eps = np.finfo(np.float64).eps
    expected = []
    for i in range(test.n_clips):
        patches = detector.windows_of(test, i, 1)  # every patch at test time
        p = detector.model.predict(patches, verbose=0)[:, detector.class_index(test, i)].astype(np.float64)
        expected.append(np.mean(np.log(np.maximum(1.0 - p, eps)) - np.log(np.maximum(p, eps))))
    np.testing.assert_allclose(
        detector.score(test), expected, rtol=1e-4, atol=1e-6
    )  # predict batches differently


def test_errors_name_the_problem(tiny_sets):
    train, test = tiny_sets
    one_id = subset(
        train, [i for i, m in enumerate(train.meta) if m["machine_id"] == "00" and m["machine_type"] == "fan"]
    )
    with pytest.raises(ValueError, match=r"needs at least 2 machine IDs .* \['fan/00'\]"):
        make_detector(settings(FAMILIES["mobilenetv2"])).fit(one_id, seed=0)
    with pytest.raises(ValueError, match=r"every clip is shorter than frames=80"):
        make_detector(settings([*FAMILIES["arcface"], "frames=80"])).fit(train, seed=0)
    detector = make_detector(settings(FAMILIES["autoencoder"]))
    with pytest.raises(ValueError, match=r"kept no training embeddings"):
        detector.scoring = with_backend(settings([]), "knn")["scoring"]
        detector.score(test)
    unknown = subset(test, [0])
    unknown.meta = [{**unknown.meta[0], "machine_id": "08"}]
    reference = TrainingEmbeddings(np.eye(2), ["fan/00", "fan/02"])
    with pytest.raises(ValueError, match=r"no training clips of fan/08 .* \['fan/00', 'fan/02'\]"):
        reference.of("fan/08")
    no_labels = subset(test, [0])
    no_labels.meta = [{"file_name": "x.wav"}]
    with pytest.raises(ValueError, match=r"'x.wav' has no machine_type / machine_id"):
        clip_classes(no_labels)
