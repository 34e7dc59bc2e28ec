"""The sequence study's compute ladder on one warm-up-stable-decay trunk (dlrepro.sequence.wsd): each budget's
branch gives exactly the numbers of a standalone run of that budget alone, its history is the trunk's rows up
to its start and its own, and the ladder trains the trunk once plus each budget's cool-down."""

import numpy as np
import pytest
import torch

from dlrepro.schedules import ladder_branches, warmup_stable_decay
from dlrepro.sequence import wsd
from dlrepro.sequence.study import run_char_lm, run_sentiment
from tests.unit.test_sequence_study import CHAR_LM, SENTIMENT, _texts

torch.set_num_threads(1)
LADDER = [1.0, 2.0, 4.0]
TEXT = np.frombuffer(b"to be or not to be, that is the question. " * 30, dtype=np.uint8)
# 6 steps at x1, an evaluation every 4: the branches leave the trunk at steps 5, 10 and 19, all inside an interval
LM = {**CHAR_LM, "optim": {**CHAR_LM["optim"], "eval_every": 4, "warmup_fraction": 0.5}, "budgets": LADDER}


def _untimed(run):
    drop = lambda d: {k: v for k, v in d.items() if k not in ("seconds", "seconds_to_best")}  # noqa: E731
    return drop(run[0]), [drop(row) for row in run[1]], *run[2:]


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_each_sentiment_branch_equals_a_standalone_run_of_its_budget(kind):
    texts, labels, classes = _texts()
    # 5 batches per epoch, 2 epochs at x1: the branches leave the trunk at steps 8, 16 and 32, inside an epoch
    settings = {**SENTIMENT, "optim": {**SENTIMENT["optim"], "epochs": 2}, "budgets": LADDER}
    ladder = run_sentiment(texts, labels, classes, kind, settings, seed=1)
    for budget, run in zip(LADDER, ladder):
        (alone,) = run_sentiment(texts, labels, classes, kind, {**settings, "budgets": [budget]}, seed=1)
        assert _untimed(run) == _untimed(alone), f"x{budget:g}"
        assert run[0]["budget"] == budget and run[0]["steps"] == 10 * budget == run[1][-1]["step"]
        assert run[0]["epochs_run"] == 2 * budget
    # the trunk's rows are shared, seconds included: x1 and x2 read the trunk's epoch 1, x4 its epochs 1 to 6
    top = ladder[-1][1]
    assert ladder[0][1][:1] == ladder[1][1][:1] == top[:1] and ladder[1][1][:3] == top[:3]
    assert all(a["seconds"] < b["seconds"] for a, b in zip(top, top[1:]))


def test_each_language_model_branch_equals_a_standalone_run_of_its_budget():
    ladder = run_char_lm(TEXT, "lstm", LM, context=8, seed=2)
    for budget, run in zip(LADDER, ladder):
        # the warm-up is the same number of steps on every budget: 0.5 x the smallest budget's 6 steps
        optim = {**LM["optim"], "warmup_fraction": 0.5 / budget}
        (alone,) = run_char_lm(TEXT, "lstm", {**LM, "optim": optim, "budgets": [budget]}, context=8, seed=2)
        assert _untimed(run) == _untimed(alone), f"x{budget:g}"
        assert run[0]["steps"] == 6 * budget and run[0]["budget"] == budget
    steps = [[row["step"] for row in history] for _, history, _ in ladder]
    assert steps == [[4, 6], [4, 8, 12], [4, 8, 12, 16, 20, 24]], "every 4 steps, and at each budget's end"
    assert ladder[0][1][:1] == ladder[1][1][:1] == ladder[2][1][:1], "the trunk's row at step 4, seconds included"
    assert len({sample for _, _, sample in ladder}) == 3, "each budget's sample comes from its own final model"


def test_the_ladder_trains_the_trunk_once_and_each_budget_s_cool_down(monkeypatch):
    rates = []
    real = wsd.LadderLoop.set_rate
    monkeypatch.setattr(wsd.LadderLoop, "set_rate", lambda self, rate: rates.append(rate) or real(self, rate))
    run_char_lm(TEXT, "lstm", LM, context=8, seed=2)
    branches = ladder_branches({b: 6 * b for b in LADDER}, 0.2)
    assert [(b.start, b.total) for b in branches] == [(5, 6), (10, 12), (19, 24)]
    assert len(rates) == 19 + 1 + 2 + 5, "the trunk to the last start, then every cool-down: 27 steps, not 42"
    peak, expected = CHAR_LM["optim"]["learning_rate"], []
    for start, branch in zip([0, 5, 10], branches):  # the trunk up to each branch's start, then its cool-down
        expected += [warmup_stable_decay(peak, s, 24, warmup=3, cooldown=5) for s in range(start, branch.start)]
        expected += [
            warmup_stable_decay(peak, s, branch.total, warmup=3, cooldown=branch.cooldown)
            for s in range(branch.start, branch.total)
        ]
    assert rates == expected
    assert rates[:3] == pytest.approx([peak / 3, 2 * peak / 3, peak]) and 0 < rates[-1] < rates[-2] < peak
