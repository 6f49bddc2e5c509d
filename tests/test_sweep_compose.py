"""A multirun job's configuration composed through the cache (sim.sweep_compose) equals
Hydra's own, key for key, for every kind of override; only plain values take the fast path,
and a changed config file is never served from the cache."""

from __future__ import annotations

import shutil

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.types import RunMode
from omegaconf import OmegaConf

import sim.cli  # noqa: F401 - importing installs the cached composition, whichever worker
from sim import sweep_compose
from sim.config import register_schema
from sim.scenarios import config_dir


def loader_and_master(folder):
    register_schema()
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path(str(folder)))
    master = loader.load_configuration("config", overrides=["run.replicate=0,1"],
                                       run_mode=RunMode.MULTIRUN)
    return loader, master


CASES = [
    ["run.replicate=3"],
    ["topology=rural", "run.replicate=1", "need.p_hidden=0.3"],
    ["run.replicate=1", "scenario=lockdown", "events.lockdown_starts.day=40"],
    ["scenario=[lockdown,preparedness]", "run.days=30"],
    ["+sweep=surge_vs_baseline", "run.replicate=2"],
    ["hydra.job.chdir=true", "run.days=5", "hydra/launcher=basic"],
    ["run.days=5", "~events.lockdown_starts", "scenario=lockdown"],  # edits a key: Hydra
    ["run.days=5", "+run.extra=1"],  # adds a key: Hydra (and its error)
    ["run.seed=${run.days}"],  # interpolation: Hydra
    # the job's folder name from the composition's own settings (read once per composition)
    ["hydra.job.config.override_dirname.kv_sep=_", "run.days=3", "run.replicate=2"],
    ["hydra.job.config.override_dirname.exclude_keys=[run.replicate]", "run.replicate=2",
     "run.days=4"],
]


@pytest.mark.parametrize("overrides", CASES, ids=lambda o: " ".join(o))
def test_cached_composition_equals_hydras(overrides):
    loader, master = loader_and_master(config_dir())
    try:
        expected = OmegaConf.to_yaml(sweep_compose._ORIGINAL(loader, master, list(overrides)))
    except Exception as exc:  # noqa: BLE001 - the same error is expected
        with pytest.raises(type(exc)):
            sweep_compose.load_sweep_config(loader, master, list(overrides))
        return
    for _ in range(2):  # composed, then from the cache
        got = sweep_compose.load_sweep_config(loader, master, list(overrides))
        assert OmegaConf.to_yaml(got) == expected


def test_only_plain_values_take_the_fast_path():
    loader, master = loader_and_master(config_dir())
    sweep_compose.load_sweep_config(loader, master, ["topology=rural", "run.replicate=0"])
    before = dict(sweep_compose.stats)
    for k in range(1, 4):
        sweep_compose.load_sweep_config(loader, master, ["topology=rural", f"run.replicate={k}"])
    assert sweep_compose.stats["reused"] - before["reused"] == 3
    assert sweep_compose.stats["composed"] == before["composed"]
    sweep_compose.load_sweep_config(loader, master, ["~events", "run.replicate=1"])
    assert sweep_compose.stats["fallback"] == before["fallback"] + 1


def test_a_changed_config_file_is_composed_again(tmp_path):
    folder = tmp_path / "configs"
    shutil.copytree(config_dir(), folder)
    loader, master = loader_and_master(folder)
    first = sweep_compose.load_sweep_config(loader, master, ["topology=rural", "run.days=7"])
    rural = folder / "topology" / "rural.yaml"
    rural.write_text(rural.read_text(encoding="utf-8").replace("n_residents: 380",
                                                               "n_residents: 381"),
                     encoding="utf-8")
    again = sweep_compose.load_sweep_config(loader, master, ["topology=rural", "run.days=7"])
    assert first.topology.n_residents == 380 and again.topology.n_residents == 381


def test_the_cli_installs_it():

    assert ConfigLoaderImpl.load_sweep_config is sweep_compose.load_sweep_config
    from hydra.plugins.sweeper import Sweeper

    assert Sweeper.validate_batch_is_legal is sweep_compose.validate_batch_is_legal


BATCH_ERRORS = [
    ["run.days=abc"],  # not a whole number: the schema refuses it
    ["run.nope=3"],  # not a key of the configuration
    ["run.days=5", "topology=nowhere"],  # not a config-group option
]


@pytest.mark.parametrize("bad", BATCH_ERRORS, ids=lambda o: " ".join(o))
def test_the_batch_check_refuses_what_hydra_refuses(bad):
    loader, master = loader_and_master(config_dir())
    batch = [["run.replicate=0"], ["run.replicate=1", "run.days=7"], bad]
    with pytest.raises(Exception) as hydras:  # noqa: PT011 - whatever Hydra raises
        for job in batch:
            sweep_compose._ORIGINAL(loader, master, list(job))
    before = sweep_compose.stats["validated"]
    with pytest.raises(hydras.type) as ours:
        for job in batch:
            sweep_compose.validate_job(loader, master, list(job))
    assert str(ours.value) == str(hydras.value)
    assert sweep_compose.stats["validated"] >= before + 2  # the good jobs: no copy each


def test_the_batch_check_is_not_changed_by_earlier_jobs():
    """Values are set on one scratch copy, so a job must not see an earlier job's values: a
    value that replaces a node (events=...) is checked on a fresh composition instead."""
    loader, master = loader_and_master(config_dir())
    sweep_compose.validate_job(loader, master, ["run.days=9"])
    before = dict(sweep_compose.stats)
    sweep_compose.validate_job(loader, master, ["run.days=10"])
    assert sweep_compose.stats["validated"] == before["validated"] + 1
    sweep_compose.validate_job(loader, master, ["run.days=11", "events={}"])  # not a leaf
    assert sweep_compose.stats["validated"] == before["validated"] + 1
    # a later job setting a leaf under events still composes (the scratch copy is intact)
    sweep_compose.validate_job(loader, master, ["scenario=lockdown",
                                                "events.lockdown_starts.day=40"])


def test_the_fast_copy_is_a_deep_copy():
    """Configurations copied through pickle equal copy.deepcopy's, parents and flags included
    (HydraConfig's root, whose hydra node has the job's configuration as parent, too)."""
    import copy

    from hydra.core.hydra_config import HydraConfig

    loader, master = loader_and_master(config_dir())
    cfg = sweep_compose.load_sweep_config(loader, master, ["run.replicate=2"])
    HydraConfig.instance().set_config(cfg)
    hydra_root = HydraConfig.instance().cfg
    for obj in (cfg, hydra_root, cfg.topology):
        a, b = copy.deepcopy(obj), sweep_compose.deepcopy(obj)
        assert b is not obj and OmegaConf.to_yaml(a) == OmegaConf.to_yaml(b)
        assert a._get_parent() is b._get_parent() is obj._get_parent()
        assert all(v._get_parent() is b for v in b.__dict__["_content"].values())
        for flag in ("readonly", "struct"):
            assert a._get_flag(flag) == b._get_flag(flag)
        assert OmegaConf.get_type(a) is OmegaConf.get_type(b)
    copied = sweep_compose.deepcopy(cfg)
    copied.run.replicate = 5  # a copy: the original is untouched
    assert cfg.run.replicate == 2 and hydra_root.hydra._get_parent() is cfg


def test_hydra_config_set_through_the_fast_copy_equals_hydras():
    """HydraConfig.set_config without a copy of the hydra node leaves what Hydra's own leaves:
    the same masked configuration, read only, its hydra node's parent the job's configuration
    (interpolations from it into the job's keys and through the ``hydra:`` resolver resolve
    alike), no flags. Hydra's holds a copy of the node, ours the job's own node, made read
    only: a change to the job's node (run_job sets hydra.runtime.output_dir, then calls
    set_config again) shows at once. Each version gets a fresh composition, so neither
    inherits what the other set."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import setup_globals
    from omegaconf import open_dict, read_write

    setup_globals()  # Hydra's resolvers (hydra:, now:), as a Hydra run registers them
    assert HydraConfig.set_config is sweep_compose.set_config
    loader, master = loader_and_master(config_dir())
    seen = []
    for set_config in (sweep_compose.set_config, sweep_compose._ORIGINAL_SET_CONFIG):
        cfg = loader.load_sweep_config(master, ["run.replicate=2", "run.days=17",
                                                "hydra.job.name=job${run.days}"])
        cfg.hydra.__dict__["_metadata"].flags.pop("readonly", None)  # as composed: writable
        assert not cfg.hydra._get_flag("readonly")
        instance = HydraConfig.instance()
        set_config(instance, cfg)
        root = instance.cfg
        node = root.hydra
        assert cfg.hydra._get_flag("readonly")  # the job's own node is made read only too
        with pytest.raises(Exception, match="read-only|ReadonlyConfigError"):
            HydraConfig.get().job.name = "x"
        assert HydraConfig.get().job.name == "job17"  # resolved through the job's keys
        seen.append((OmegaConf.to_yaml(root), OmegaConf.get_type(node), node._get_flag("readonly"),
                     root._get_flag("no_deepcopy_set_nodes"), root._get_flag("readonly"),
                     root._get_flag("struct"), OmegaConf.select(
                         OmegaConf.create({"d": "${hydra:job.override_dirname}"}), "d"),
                     HydraConfig.get().runtime.choices.topology))
        ours = set_config is sweep_compose.set_config
        assert (node is cfg.__dict__["_content"]["hydra"]) is ours  # Hydra's: a copy
        assert node._get_parent() is cfg
        assert root.__dict__["_content"]["hydra"] is node
        name = cfg.hydra.job.name
        with read_write(cfg.hydra.job), open_dict(cfg.hydra.job):
            cfg.hydra.job.name = "changed-after"
        assert HydraConfig.get().job.name == ("changed-after" if ours else name)
    assert seen[0] == seen[1]
    assert "run.days=17" in seen[0][6]


def test_run_jobs_task_copy_equals_hydras_without_copying_the_hydra_node():
    """run_job copies the job's configuration for the task and deletes the copy's hydra node:
    through sim.sweep_compose the task gets the same configuration (the job's keys copied, in
    the same order, their parent the copy) and the job's configuration is left as it was (its
    keys in order, its hydra node and that node's parent); the hydra node is not copied."""
    import copy

    from omegaconf import open_dict, read_write

    loader, master = loader_and_master(config_dir())
    cfg = sweep_compose.load_sweep_config(loader, master, ["run.replicate=2", "run.days=9"])
    keys, node = list(cfg.keys()), cfg.__dict__["_content"]["hydra"]
    tasks = []
    for copier in (copy.deepcopy, sweep_compose._FAST_COPY.deepcopy):
        task = copier(cfg)
        assert list(task.keys()) == keys
        # ours holds the job's own hydra node until run_job deletes it; Hydra's, a copy
        assert (task.__dict__["_content"]["hydra"] is node) is (copier is not copy.deepcopy)
        with read_write(task), open_dict(task):
            del task["hydra"]  # as run_job does
        assert all(v._get_parent() is task for v in task.__dict__["_content"].values())
        tasks.append(task)
        task.run.days = 99  # a copy: the job's configuration keeps its value
        assert cfg.run.days == 9
    assert OmegaConf.to_yaml(tasks[0]) == OmegaConf.to_yaml(tasks[1])
    assert OmegaConf.get_type(tasks[0]) is OmegaConf.get_type(tasks[1])
    assert list(cfg.keys()) == keys and cfg.__dict__["_content"]["hydra"] is node
    assert node._get_parent() is cfg and cfg.hydra.job.name == "sim"
    # any other configuration (a node, another root) is copied whole
    inner = sweep_compose._FAST_COPY.deepcopy(cfg.topology)
    assert inner is not cfg.topology and OmegaConf.to_yaml(inner) == OmegaConf.to_yaml(
        cfg.topology)


def _typed(value):
    """``value`` with every leaf's type beside it (1 and 1.0 and True are not alike here) and
    every mapping as its items in order (key order counts here)."""
    if isinstance(value, dict):
        return [(k, _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value), value)


PLAIN_CASES = [
    *CASES,
    ["need.p_hidden=1", "run.plots=false", "run.replicate=7"],  # int into a float: 1.0
    ["topology=rural", "scenario.description=42", "run.burn_in_cache=''"],  # into strings
    ["scenario=lockdown", "events.lockdown_starts.day=40", "run.seed=12"],
]


@pytest.mark.parametrize("overrides", PLAIN_CASES, ids=lambda o: " ".join(o))
def test_a_jobs_plain_values_are_what_its_task_copy_converts_to(overrides):
    """plain_job_config gives the task the job's keys as OmegaConf.to_container gives them
    from run_job's copy (types included: values as OmegaConf converted them), and the same
    typed configuration; a job composed by Hydra (not the fast path) has none."""
    import copy

    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict, read_write

    from sim.config import to_config
    from sim.io import config_dict, config_hash

    loader, master = loader_and_master(config_dir())
    before = dict(sweep_compose.stats)
    try:
        cfg = sweep_compose.load_sweep_config(loader, master, list(overrides))
    except Exception:  # noqa: BLE001 - refused as Hydra refuses it (the test above)
        return
    HydraConfig.instance().set_config(cfg)
    plain = sweep_compose.plain_job_config()
    if sweep_compose.stats["fallback"] > before["fallback"]:
        assert plain is None
        return
    task = copy.deepcopy(cfg)
    with read_write(task), open_dict(task):
        del task["hydra"]
    try:
        expected = OmegaConf.to_container(task, resolve=True, throw_on_missing=True)
    except Exception:  # noqa: BLE001 - e.g. a missing value: no plain values either
        assert plain is None
        return
    assert plain is not None and _typed(plain) == _typed(expected)
    assert list(plain) == list(expected)
    try:
        reference = to_config(task)
    except Exception as exc:  # noqa: BLE001 - the same refusal either way
        with pytest.raises(type(exc)):
            to_config(task, plain=sweep_compose.plain_job_config())
        return
    fast = to_config(task, plain=sweep_compose.plain_job_config())
    assert fast == reference
    assert config_hash(config_dict(fast)) == config_hash(config_dict(reference))


def test_a_composition_with_an_interpolation_gives_no_plain_values(tmp_path):
    """A key that refers to another (``${...}``) resolves to what the job's values make of
    it: such a composition is never read from plain values worked out without them."""
    from hydra.core.hydra_config import HydraConfig

    folder = tmp_path / "configs"
    shutil.copytree(config_dir(), folder)
    primary = folder / "config.yaml"
    primary.write_text(primary.read_text(encoding="utf-8")
                       + "\nrun:\n  seed: ${run.replicate}\n", encoding="utf-8")
    loader, master = loader_and_master(folder)
    cfg = sweep_compose.load_sweep_config(loader, master, ["run.replicate=3"])
    HydraConfig.instance().set_config(cfg)
    assert cfg.run.seed == 3 and sweep_compose.plain_job_config() is None


def test_the_plain_values_follow_the_job_hydra_holds_and_are_forgotten_with_it():
    import gc

    from hydra.core.hydra_config import HydraConfig

    loader, master = loader_and_master(config_dir())
    held = len(sweep_compose._PLAIN_JOBS)
    for k in range(30):
        cfg = sweep_compose.load_sweep_config(loader, master, [f"run.replicate={k}"])
        HydraConfig.instance().set_config(cfg)
        assert sweep_compose.plain_job_config()["run"]["replicate"] == k
    # jobs composed before either runs (as a launcher may): each gets its own values
    first = sweep_compose.load_sweep_config(loader, master, ["run.replicate=41", "run.days=3"])
    second = sweep_compose.load_sweep_config(loader, master, ["run.replicate=42"])
    HydraConfig.instance().set_config(first)
    plain = sweep_compose.plain_job_config()
    assert plain["run"]["replicate"] == 41 and plain["run"]["days"] == 3
    HydraConfig.instance().set_config(second)
    plain = sweep_compose.plain_job_config()
    assert plain["run"]["replicate"] == 42 and plain["run"]["days"] != 3
    del cfg, first, second, plain
    HydraConfig.instance().cfg = None
    gc.collect()
    assert len(sweep_compose._PLAIN_JOBS) <= held + 1
    assert sweep_compose.plain_job_config() is None


def test_a_multirun_s_task_reads_each_job_s_plain_values(tmp_path, monkeypatch):
    """Through the command line on Hydra's basic launcher (the default launcher runs these
    jobs from their values: tests/test_direct_launcher.py), every job of a multirun of values
    reaches the task's
    configuration by plain_job_config (not by converting its copy), with its own values, and
    run_job's copy for it holds the job's nodes; the runs are complete."""
    import json

    from sim import config as sim_config

    seen = []
    real_to_config, real_plain = sim_config.to_config, sweep_compose.plain_job_config

    def plain_job_config():
        seen.append(real_plain())
        return seen[-1]

    def to_config(cfg, choice=None, plain=None):
        seen.append(("shared", cfg.__dict__["_content"]["run"]._get_parent() is not cfg))
        return real_to_config(cfg, choice, plain=plain)

    # sweep_task imports both names from their modules each time it runs
    monkeypatch.setattr(sweep_compose, "plain_job_config", plain_job_config)
    monkeypatch.setattr(sim_config, "to_config", to_config)
    sweep = tmp_path / "sweep"
    sim.cli.main(["-m", "topology=rural", "run.days=2", "run.burn_in_days=0", "run.plots=false",
                  "need.p_hidden=0.1,1", f"hydra.sweep.dir={sweep}", "hydra/launcher=basic",
                  "hydra.callbacks.sweep_report.collect=false"])  # returns: every job done
    plains = [x for x in seen if isinstance(x, dict)]
    shared = [x[1] for x in seen if isinstance(x, tuple)]
    assert len(plains) == 2 and shared == [True, True] and None not in seen
    assert sorted(x["need"]["p_hidden"] for x in plains) == [0.1, 1.0]
    assert all(type(x["need"]["p_hidden"]) is float for x in plains)
    manifests = sorted(sweep.glob("*/manifest.json"))
    assert len(manifests) == 2
    assert sorted(json.loads(m.read_text())["config"]["need"]["p_hidden"]
                  for m in manifests) == [0.1, 1.0]


def test_run_jobs_copy_for_this_packages_task_holds_the_jobs_own_nodes():
    """While this package's task runs jobs (for_task), run_job's copy of a job that took the
    fast path is a new root holding the job's nodes (its task reads plain_job_config, not
    the copy): the same keys and YAML, and deleting its hydra key leaves the job's alone.
    Any other task, or a job composed by Hydra, gets copies."""
    import copy

    from omegaconf import open_dict, read_write


    loader, master = loader_and_master(config_dir())
    cfg = sweep_compose.load_sweep_config(loader, master, ["run.replicate=2", "run.days=9"])
    reference = copy.deepcopy(cfg)
    with sweep_compose.for_task(sim.cli.task):
        task = sweep_compose._FAST_COPY.deepcopy(cfg)
    assert task is not cfg and list(task.keys()) == list(cfg.keys())
    assert task.__dict__["_content"]["run"] is cfg.__dict__["_content"]["run"]
    with read_write(task), open_dict(task):
        del task["hydra"]
    assert "hydra" in cfg and "hydra" not in task and task.run.days == 9
    with read_write(reference), open_dict(reference):
        del reference["hydra"]
    assert OmegaConf.to_yaml(task) == OmegaConf.to_yaml(reference)
    with sweep_compose.for_task(lambda cfg: None):  # someone else's task: a copy
        other = sweep_compose._FAST_COPY.deepcopy(cfg)
    assert other.__dict__["_content"]["run"] is not cfg.__dict__["_content"]["run"]
    hydras = sweep_compose.load_sweep_config(loader, master, ["~events", "run.replicate=1"])
    with sweep_compose.for_task(sim.cli.task):  # composed by Hydra: a copy
        copied = sweep_compose._FAST_COPY.deepcopy(hydras)
    assert copied.__dict__["_content"]["run"] is not hydras.__dict__["_content"]["run"]
    assert not sweep_compose._TASK_READS_PLAIN.get()  # for_task restores the flag


def test_run_jobs_copy_of_hydras_configuration_is_the_read_only_configuration_itself():
    """run_job's copy of HydraConfig's masked configuration (the job's return value and
    hydra.yaml) is that configuration itself, whose hydra node is the job's own, read only:
    the same YAML and type as Hydra's deep copy, and nothing can change it; a masked
    configuration that is not HydraConfig's, or whose node is writable, is copied."""
    import copy

    from hydra.core.hydra_config import HydraConfig
    from omegaconf import read_write

    loader, master = loader_and_master(config_dir())
    cfg = sweep_compose.load_sweep_config(loader, master, ["run.replicate=3", "run.days=11"])
    HydraConfig.instance().set_config(cfg)
    root = HydraConfig.instance().cfg
    held, copied = sweep_compose._FAST_COPY.deepcopy(root), copy.deepcopy(root)
    assert held is root and copied is not root
    assert OmegaConf.to_yaml(held) == OmegaConf.to_yaml(copied)
    assert OmegaConf.get_type(held.hydra) is OmegaConf.get_type(copied.hydra)
    # the node held is the job's own (its parent the job's configuration, as set_config
    # leaves it); the deep copy's hangs from the copy
    assert held.hydra._get_parent() is cfg and copied.hydra._get_parent() is copied
    with pytest.raises(Exception, match="read-only|ReadonlyConfigError"):
        held.hydra.job.name = "x"
    other = copy.deepcopy(root)  # not HydraConfig's own: copied
    assert sweep_compose._FAST_COPY.deepcopy(other) is not other
    with read_write(root.hydra):  # writable: copied
        assert sweep_compose._FAST_COPY.deepcopy(root) is not root


def test_the_batch_checks_parse_is_kept_for_the_launcher(monkeypatch):
    """A job checked with its batch is composed by the launcher from the overrides parsed
    then (parsed once), to the same configuration; once used, or at the next batch, the kept
    parse is gone."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    loader, master = loader_and_master(config_dir())
    job = ["topology=rural", "run.replicate=4", "need.p_hidden=0.25"]
    expected = OmegaConf.to_yaml(sweep_compose._ORIGINAL(loader, master, list(job)))
    sweep_compose.validate_job(loader, master, list(job), keep=True)
    assert tuple(job) in sweep_compose._BATCH_SPLITS

    def refuse(*_args, **_kwargs):
        raise AssertionError("parsed again")

    with monkeypatch.context() as m:
        m.setattr(OverridesParser, "parse_overrides", refuse)
        cfg = sweep_compose.load_sweep_config(loader, master, list(job))
    assert OmegaConf.to_yaml(cfg) == expected
    assert tuple(job) not in sweep_compose._BATCH_SPLITS


def test_long_lived_objects_are_frozen_only_while_a_sweep_runs():
    """A sweep in this process (the CLI, run_jobs) freezes the objects alive at its start
    (gc.freeze) and unfreezes them when it ends, nested or not: a reference cycle made before
    it and dropped during it is collected afterwards (a notebook gets its memory back), and
    one made during it is collected at once. A process that is no pool's worker is never
    frozen by a job (freeze_in_worker does nothing here)."""
    import gc
    import weakref

    from sim.experiments import gc_freeze as runs

    class Cycle:
        pass

    def cycle():
        c = Cycle()
        c.me = c  # a reference cycle: only the collector frees it
        return c

    start = gc.get_freeze_count()  # (the interpreter freezes a few hundred at start-up)
    before = cycle()
    before_ref = weakref.ref(before)
    with runs.long_lived_frozen():
        # the modules, kernels and compositions loaded so far (frozen objects that refcounting
        # frees leave the count, so only its size is checked)
        assert gc.get_freeze_count() > start + 1000
        inner = cycle()
        inner_ref = weakref.ref(inner)
        with runs.long_lived_frozen():  # nested: nothing more is frozen
            del inner
            gc.collect()
            assert inner_ref() is None
        during = weakref.ref(cycle())
        gc.collect()
        assert during() is None  # made during the sweep: collected as usual
        del before
        gc.collect()
        assert before_ref() is not None  # frozen while the sweep runs
        runs.freeze_in_worker()  # not a pool's worker: nothing more is frozen
        assert not runs._WORKER_FROZEN
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert before_ref() is None


def _pool_worker_state() -> tuple[bool, int]:
    import gc

    from sim.experiments import gc_freeze as runs

    runs.freeze_in_worker()
    return runs._WORKER_FROZEN, gc.get_freeze_count()


def test_a_pool_worker_is_frozen_for_its_life():
    """In a joblib (loky) worker, the first job freezes what the worker holds (its imports)
    and it stays frozen; in this process freeze_in_worker does nothing."""
    from joblib import Parallel, delayed

    from sim.experiments import gc_freeze as runs

    ((frozen, count),) = Parallel(n_jobs=2)(delayed(_pool_worker_state)() for _ in range(1))
    assert frozen and count > 1000
    assert _pool_worker_state()[0] is False and not runs._WORKER_FROZEN


_EXIT_ORDER = """
import atexit, gc, sys
from sim.experiments.gc_freeze import freeze_at_exit
atexit.register(lambda: print("last", gc.get_freeze_count() > 1000, flush=True))
n = atexit._ncallbacks()
freeze_at_exit()
freeze_at_exit()
print("registered", atexit._ncallbacks() - n, flush=True)
atexit.register(lambda: print("first", gc.get_freeze_count() > 1000, flush=True))
import sim.model  # objects to freeze
"""


def test_a_program_freezes_its_objects_at_exit_after_the_later_exit_handlers():
    """``freeze_at_exit`` (called by every ``__main__`` and ``community-sim``) registers one exit
    handler however often it is called; exit handlers registered after it still see the
    collector as usual, those registered before it (logging's shutdown among them) run with
    everything frozen, and the interpreter's teardown then leaves the frozen objects out."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _EXIT_ORDER], capture_output=True, text=True,
                          timeout=300, check=True)
    assert done.stdout.split("\n")[:3] == ["registered 1", "first False", "last True"]


def test_a_program_s_log_and_run_files_are_complete_after_its_quick_exit(tmp_path):
    """``python -m sim`` (which freezes at exit): a two-job multirun exits 0 with both runs
    complete and each job's log written through (its last line included)."""
    import subprocess
    import sys

    sweep = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "-m", "topology=rural", "run.days=1", "run.burn_in_days=0",
         "run.plots=false", "run.replicate=0,1", f"hydra.sweep.dir={sweep}",
         "hydra.callbacks.sweep_report.collect=false"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    runs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert len(runs) == 2
    for run in runs:
        assert (run / "manifest.json").is_file() and (run / "timeseries.parquet").is_file()
        log = (run / "sim.log").read_text()
        assert log.endswith("s)\n") and f"run done in {run}" in log


def test_a_sweep_run_in_this_process_freezes_its_first_job_s_imports_once():
    """Within a sweep in this process (``long_lived_frozen``), the first job's call of
    ``freeze_in_worker`` (as its model's modules are imported) freezes what was made since the
    sweep began, once: a cycle made before it and dropped afterwards waits for the sweep's end;
    one made after it is collected as usual; the next job freezes nothing more; outside a
    sweep nothing is frozen."""
    import gc
    import weakref

    from sim.experiments import gc_freeze

    class Cycle:
        pass

    def cycle():
        c = Cycle()
        c.me = c
        return c

    before = gc.get_freeze_count()  # (the interpreter freezes a few hundred at start-up)
    gc_freeze.freeze_in_worker()  # no sweep: nothing
    assert gc.get_freeze_count() <= before and not gc_freeze._JOB_IMPORTS_FROZEN
    with gc_freeze.long_lived_frozen():
        imported = cycle()  # made by the first job's imports
        imported_ref = weakref.ref(imported)
        assert any(o is imported for o in gc.get_objects())  # not frozen yet
        gc_freeze.freeze_in_worker()  # the first job starts
        # frozen: in no generation (a check of the frozen count could miss it: another
        # thread can free frozen objects meanwhile)
        assert gc_freeze._JOB_IMPORTS_FROZEN
        assert not any(o is imported for o in gc.get_objects())
        del imported
        gc.collect()
        assert imported_ref() is not None  # frozen with the imports until the sweep ends
        frozen = gc.get_freeze_count()
        job = weakref.ref(cycle())  # a job's own garbage
        gc_freeze.freeze_in_worker()  # the next job: nothing more (frozen objects can still
        assert gc.get_freeze_count() <= frozen  # be freed meanwhile, by another thread: <=)
        gc.collect()
        assert job() is None
    assert gc.get_freeze_count() == 0 and not gc_freeze._JOB_IMPORTS_FROZEN
    gc.collect()
    assert imported_ref() is None


def test_a_multirun_job_s_return_drops_its_configurations_at_the_end_of_the_job():
    """``SweepReport.on_job_end`` empties a multirun job's ``cfg`` and ``hydra_cfg`` (Hydra's
    launchers keep every return until the sweep ends; its sweepers read the return value),
    keeping its status and return value; a single run's return keeps them."""
    from hydra.core.utils import JobReturn, JobStatus

    from sim.experiments.hydra_sweep import SweepReport

    report = SweepReport(collect=False, progress=False)
    for mode, kept in ((RunMode.MULTIRUN, False), (RunMode.RUN, True)):
        config = OmegaConf.create({"run": {"days": 3}, "hydra": {"mode": mode}})
        ret = JobReturn(cfg=OmegaConf.create({"run": {"days": 3}}), hydra_cfg=config,
                        status=JobStatus.COMPLETED, _return_value="done")
        report.on_job_end(config=config, job_return=ret)
        assert (ret.cfg is not None and ret.hydra_cfg is not None) is kept
        assert ret.return_value == "done" and ret.status is JobStatus.COMPLETED


def test_each_override_is_parsed_once_and_a_bad_one_is_left_to_hydra(monkeypatch):
    """The overrides a sweep's jobs repeat are parsed once in the process, to what Hydra's
    parser gives; one that does not parse is not kept, and Hydra composes (and refuses) its
    job; a full cache starts afresh with the job's own overrides."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    loader, master = loader_and_master(config_dir())
    jobs = [["topology=rural", "run.days=2", f"run.replicate={k}"] for k in range(3)]
    expected = [OmegaConf.to_yaml(sweep_compose._ORIGINAL(loader, master, list(j)))
                for j in jobs]
    sweep_compose._PARSED.clear()
    parsed: list[list[str]] = []
    real = OverridesParser.parse_overrides

    def counting(self, overrides):
        parsed.append(list(overrides))
        return real(self, overrides)

    monkeypatch.setattr(OverridesParser, "parse_overrides", counting)
    for job, want in zip(jobs, expected, strict=True):
        assert OmegaConf.to_yaml(sweep_compose.load_sweep_config(loader, master, job)) == want
    assert parsed == [jobs[0], ["run.replicate=1"], ["run.replicate=2"]]
    fresh = real(OverridesParser.create(), jobs[2])
    assert sweep_compose._parse(jobs[2]) == fresh  # equal, field for field
    bad = ["run.days=2", "run.replicate=[1"]
    assert sweep_compose._parse(bad) is None and "run.replicate=[1" not in sweep_compose._PARSED
    with pytest.raises(Exception) as hydras:  # noqa: PT011 - whatever Hydra raises
        sweep_compose._ORIGINAL(loader, master, list(bad))
    with pytest.raises(hydras.type) as ours:
        sweep_compose.load_sweep_config(loader, master, list(bad))
    assert str(ours.value) == str(hydras.value)
    monkeypatch.setattr(sweep_compose, "_PARSED_SIZE", len(sweep_compose._PARSED) + 1)
    job = ["run.days=2", "run.replicate=7", "need.p_hidden=0.2"]  # one kept, two new: full
    assert sweep_compose._parse(job) == real(OverridesParser.create(), job)
    assert set(sweep_compose._PARSED) == set(job)


def test_a_value_checked_on_a_composition_is_not_set_again_and_a_bad_one_is_always_refused(
        monkeypatch):
    """The batch check sets a job's plain values on its composition's scratch copy only the
    first time each is seen (a leaf's type decides, not the other values); a value that is
    refused is refused every time, as Hydra refuses it; another composition checks afresh."""
    loader, master = loader_and_master(config_dir())
    sweep_compose._LEGAL.clear()  # what earlier tests in this process checked
    applied: list[list[str]] = []
    real = ConfigLoaderImpl._apply_overrides_to_config

    def spy(overrides, cfg):
        applied.append([o.input_line for o in overrides])
        return real(overrides, cfg)

    monkeypatch.setattr(ConfigLoaderImpl, "_apply_overrides_to_config", staticmethod(spy))
    sweep_compose.validate_job(loader, master, ["run.days=1313", "run.replicate=9170"])
    assert applied[-1] == ["run.days=1313", "run.replicate=9170"]
    applied.clear()
    sweep_compose.validate_job(loader, master, ["run.days=1313", "run.replicate=9171"])
    sweep_compose.validate_job(loader, master, ["run.days=1313", "run.replicate=9171"])
    assert applied == [["run.replicate=9171"]]
    bad = ["run.days=1313", "run.replicate=x"]
    with pytest.raises(Exception) as hydras:  # noqa: PT011 - whatever Hydra raises
        sweep_compose._ORIGINAL(loader, master, list(bad))
    for _ in range(2):
        with pytest.raises(hydras.type) as ours:
            sweep_compose.validate_job(loader, master, list(bad))
        assert str(ours.value) == str(hydras.value)
    sweep_compose._base(loader, master, ["topology=rural"])  # composed (by Hydra) beforehand
    applied.clear()
    sweep_compose.validate_job(loader, master, ["topology=rural", "run.days=1313"])
    assert applied == [["run.days=1313"]]  # the rural composition: checked on its own copy


def test_a_sweep_configuration_s_parts_are_read_once_and_forgotten_with_it():
    """What a composition's key takes from the sweep's configuration is read once per
    configuration, each configuration its own, and dropped when the configuration goes."""
    import gc

    register_schema()
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path(str(config_dir())))
    first = loader.load_configuration("config", overrides=["run.replicate=0,1"],
                                      run_mode=RunMode.MULTIRUN)
    second = loader.load_configuration("config", overrides=["run.days=4", "run.seed=1,2"],
                                       run_mode=RunMode.MULTIRUN)
    one, two = sweep_compose._master_parts(first), sweep_compose._master_parts(second)
    assert one[1:3] == ((), ("run.replicate=0,1",)) and two[2] == ("run.days=4", "run.seed=1,2")
    assert sweep_compose._master_parts(first) is one
    job = id(second)
    del second
    gc.collect()
    assert job not in sweep_compose._MASTER_PARTS
