"""Claims rows and the provenance appendix: validation, tables, benchmark parsing, config hashing."""

import math

import pytest

from dlrepro.appendix import compute_summary, config_hash, read_benchmarks
from dlrepro.autoencoder.report import autoencoder_claims
from dlrepro.claims import ClaimsError, check_claims, claims_table_tex, claims_values_tex


def _row(**kw):
    row = {
        "id": "x",
        "section": "1.4",
        "claim": "c",
        "metric": "m",
        "criterion": "k",
        "measured": "0.1 +- 0.02",
        "verdict": "reproduced",
    }
    return {**row, **kw}


def test_a_claims_file_missing_a_key_names_the_file_the_claim_and_the_key():
    row = _row()
    del row["criterion"]
    with pytest.raises(ClaimsError, match=r"results/gan/claims.json: claim 0 \(x\) lacks the key\(s\) criterion"):
        check_claims([row], "results/gan/claims.json")


@pytest.mark.parametrize(
    "rows,message",
    [
        ([_row(verdict="probably")], "is not one of"),
        ([_row(), _row()], "appears twice"),
        ({"id": "x"}, "expected a JSON list"),
    ],
)
def test_bad_claims_are_refused(rows, message):
    with pytest.raises(ClaimsError, match=message):
        check_claims(rows, "f.json")


def test_claims_table_escapes_text_and_typesets_the_interval():
    tex = claims_table_tex([_row(claim="50% of x_y & more")])
    assert r"50\% of x\_y \& more" in tex and r"0.1 $\pm$ 0.02" in tex and r"\textbf{reproduced}" in tex


def test_verdict_counts():
    values = claims_values_tex(
        [_row(id="a"), _row(id="b", verdict="inconclusive"), _row(id="c", verdict="not reproduced")]
    )
    assert r"\newcommand{\claimsTotal}{3}" in values and r"\newcommand{\claimsReproduced}{1}" in values
    assert r"\newcommand{\claimsInconclusive}{1}" in values and r"\newcommand{\claimsNotReproduced}{1}" in values
    assert r"\newcommand{\claimsImplied}{}" in values
    assert r"\newcommand{\claimsCounts}{1 is reproduced, 1 is not and 1 is inconclusive}" in values
    many = claims_values_tex([_row(id=str(i)) for i in range(2)])
    assert r"\newcommand{\claimsCounts}{2 are reproduced, 0 are not and 0 are inconclusive}" in many
    implied = claims_values_tex([_row(id="a"), _row(id="b", claim="Implied, not stated: more data helps.")])
    assert r"\newcommand{\claimsImplied}{ (one of them implied by the paper rather than stated)}" in implied


def _stat(mean, ci=0.01, n=3):
    return {"mean": mean, "ci95": ci, "n": n}


def _ae_summaries(conv_diff, keeps=True, loses=True, tradeoff=True):
    summary = {
        "default_reduction": "sum",
        "readings": {"sum": {"test_mse": _stat(0.011)}},
        "baselines": {"mean_image_mse": 0.067, "pca_mse": 0.009},
        "claim": {"keeps_structure": keeps, "loses_detail": loses},
    }
    models = {"code_size": 64, "claims": {"tradeoff": {"per_model": {"basic": tradeoff}, "holds": tradeoff}}}
    if conv_diff is not None:
        models["claims"]["conv_better"] = {"difference": _stat(conv_diff), "holds": conv_diff + 0.01 < 0}
    return summary, models


def test_autoencoder_claims_follow_the_computed_criteria():
    rows = {r["id"]: r for r in autoencoder_claims(*_ae_summaries(-0.03))}
    assert rows["ae-recognisable"]["verdict"] == "reproduced" and rows["ae-conv-better"]["verdict"] == "reproduced"
    rows = {r["id"]: r for r in autoencoder_claims(*_ae_summaries(0.001, loses=False, tradeoff=False))}
    assert (
        rows["ae-recognisable"]["verdict"] == "not reproduced" and rows["ae-conv-better"]["verdict"] == "not reproduced"
    )
    assert rows["ae-tradeoff"]["verdict"] == "not reproduced"
    summary, models = _ae_summaries(-0.005)
    models["claims"]["conv_better"]["holds"] = None  # a CI that contains zero
    assert {r["id"]: r for r in autoencoder_claims(summary, models)}["ae-conv-better"]["verdict"] == "inconclusive"
    rows = {r["id"]: r for r in autoencoder_claims(*_ae_summaries(None))}
    assert rows["ae-conv-better"]["verdict"] == "inconclusive" and "not run" in rows["ae-conv-better"]["measured"]


def test_benchmarks_are_read_per_rule_and_credited_to_their_study(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "train_gan" / "seed0").mkdir(parents=True)
    (tmp_path / "train_gan" / "seed0" / "m.tsv").write_text(header + "12.5\t0:00:12\t900.0\t1\t1\t1\t0\t0\t90\t11\n")
    (tmp_path / "train_gan" / "seed1.tsv").write_text(header + "7.5\t0:00:07\t1100.0\t1\t1\t1\t0\t0\t90\t7\n")
    (tmp_path / "prepare_dataset").mkdir()
    (tmp_path / "prepare_dataset" / "mnist.tsv").write_text(header + "0.3\t0:00:00\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n")
    records = read_benchmarks(tmp_path)
    assert len(records) == 3 and math.isnan(next(r for r in records if r["rule"] == "prepare_dataset")["max_rss_mib"])
    summary = compute_summary(
        records, {"train_gan": "GANs", "prepare_dataset": "data"}, ["data", "autoencoders", "GANs"]
    )
    gan = summary["studies"]["GANs"]
    assert gan["jobs"] == 2 and gan["seconds"] == 20.0 and gan["max_rss_mib"] == 1100.0
    assert list(summary["studies"]) == ["data", "GANs"] and summary["total_seconds"] == 20.3
    assert summary["studies"]["data"]["max_rss_mib"] is None and summary["peak_rss_mib"] == 1100.0


def test_a_job_sampled_only_while_starting_counts_as_unsampled(tmp_path):
    from dlrepro.appendix import compute_table_tex

    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "fit_autoencoder_baselines").mkdir()
    (tmp_path / "fit_autoencoder_baselines" / "b.tsv").write_text(header + "1.2\t0:00:01\t0.90\t1\t1\t1\t0\t0\t90\t1\n")
    (tmp_path / "train_gan").mkdir()
    (tmp_path / "train_gan" / "seed0.tsv").write_text(header + "12.5\t0:00:12\t900.0\t1\t1\t1\t0\t0\t90\t11\n")
    summary = compute_summary(
        read_benchmarks(tmp_path),
        {"fit_autoencoder_baselines": "autoencoders", "train_gan": "GANs"},
        ["autoencoders", "GANs"],
    )
    rules = {rule: r for s in summary["studies"].values() for rule, r in s["rules"].items()}
    assert rules["fit_autoencoder_baselines"]["max_rss_mib"] is None and rules["train_gan"]["max_rss_mib"] == 900.0
    tables = compute_table_tex(summary, "CPU")
    assert "\\texttt{fit\\_autoencoder\\_baselines} & 1 & 1.2 & -- \\\\" in tables["rules"]
    assert "& 900 \\\\" in tables["rules"]


def test_config_hash_ignores_key_order_but_not_values():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_the_environment_names_numpys_blas_and_the_report_prints_it(tmp_path):
    from dlrepro.appendix import environment_tex
    from dlrepro.provenance import environment

    env = environment(str(tmp_path))  # not a git checkout: the commit is "unknown"
    assert env["blas"] and "thread" not in env["blas"], "the kernel only: each job sets its own threads"
    tex = environment_tex(env, config_name="config.yaml", config_digest="abc", seeds=[0], total_seconds=60)
    assert "\\newcommand{\\runBlas}{" + env["blas"].split()[0] in tex, tex
    assert env["malloc"] and "\\newcommand{\\runMalloc}{" in tex, tex
    del env["blas"], env["malloc"]  # an environment.json written before the BLAS and malloc were recorded
    old = environment_tex(env, config_name="c", config_digest="d", seeds=[0], total_seconds=1)
    assert "\\newcommand{\\runBlas}{not recorded}" in old and "\\newcommand{\\runMalloc}{not recorded}" in old


def test_a_config_notice_becomes_a_framed_note_and_none_leaves_nothing():
    from dlrepro.appendix import environment_tex

    env = {"git_clean": True, "git_commit": "abc", "versions": {}, "date": "d", "cpu": "c", "cores": 2, "python": "3"}
    kw = dict(config_name="c", config_digest="d", seeds=[0], total_seconds=1)
    assert "\\newcommand{\\runNoticeBox}{}" in environment_tex(env, **kw)
    assert "\\newcommand{\\runNoticeBox}{}" in environment_tex(env, **kw, notice="  \n")
    tex = environment_tex(env, **kw, notice="A smoke test: 50% of x_y.\n")
    assert "\\fbox{\\parbox{0.96\\linewidth}{\\textbf{Note.} A smoke test: 50\\% of x\\_y.}}" in tex
