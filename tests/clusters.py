"""One-machine clusters for the scheduler tests: a real Slurm (munged, slurmctld, slurmd from
Debian's packages) and a real multi-node Ray cluster (a head and worker nodes started with
``ray start``), each in a temporary folder, torn down on exit.

Nothing here is a stand-in: the daemons are the ones a university cluster runs, configured for
this host (``slurmd -C``), with job accounting (slurmdbd on a private MariaDB) because ``sacct``
is how submitit, like most tools, learns that a job ended (cancelled, timed out). Slurm needs
root (slurmd starts jobs as the submitting user) and the packages of :data:`APT_PACKAGES`
(``.ci/run`` installs them);
:func:`slurm_missing` says why a cluster cannot be started here, for a skip reason.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SLURM_PROGRAMS = ("munged", "slurmctld", "slurmd", "slurmdbd", "sbatch", "squeue", "scancel",
                  "sinfo", "sacct", "sacctmgr", "mariadbd", "mariadb-install-db", "mariadb")
APT_PACKAGES = "slurmctld slurmd slurmdbd slurm-client munge mariadb-server"
PARTITION = "sim"


def _ephemeral_ports() -> range:
    """The kernel's range for ports bound to 0 (Linux's default if it cannot be read)."""
    try:
        lo, hi = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        lo, hi = 32768, 60999
    return range(lo, hi + 1)


_PORTS_GIVEN: set[int] = set()
"""Ports :func:`_free_port` has handed out in this process."""


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now, for a daemon that binds it seconds later:
    drawn outside the kernel's ephemeral range, so another process binding port 0 meanwhile
    (a Jupyter kernel on the other xdist worker takes five) cannot take it first, and above
    Ray's worker ports (10002-19999 by default), which a Ray cluster on the other worker hands
    out without asking the kernel."""
    ephemeral = _ephemeral_ports()
    for _ in range(200):
        port = 20_000 + secrets.randbelow(12_000)
        if port in ephemeral or port in _PORTS_GIVEN:  # (not twice: none is bound yet)
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _PORTS_GIVEN.add(port)
            return port
    with socket.socket() as s:  # nothing free there: any port, as before
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _which(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def slurm_missing() -> str | None:
    """Why a one-machine Slurm cluster cannot be started here (``None``: it can)."""
    if not sys.platform.startswith("linux"):
        return "Slurm runs on Linux only"
    missing = [p for p in SLURM_PROGRAMS if _which(p) is None]
    if missing:
        return (f"Slurm is not installed ({', '.join(missing)} missing): apt-get install "
                f"{APT_PACKAGES} (.ci/run does this)")
    if os.geteuid() != 0:
        return "a one-machine Slurm cluster needs root (slurmd starts jobs as their user)"
    return None


FREEZER = Path("/sys/fs/cgroup/freezer")


def freezer_cgroups() -> bool:
    """Whether Slurm can track jobs with ``proctrack/cgroup`` here: a cgroup v1 freezer hierarchy
    this process may create groups in. With it, ``scancel`` kills every process of a job,
    including one that ignores SIGTERM and was re-parented when its shell ended; with
    ``proctrack/linuxproc`` (the fallback) such a process escapes and runs on to its end."""
    if not FREEZER.is_dir():
        return False
    probe = FREEZER / f"simtest_probe_{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return False
    return True


JOB_ID_SPAN = 1000  # job ids of one test cluster: FirstJobId .. FirstJobId + this


def _remove_slurm_cgroups(node: str, first_job: int) -> None:
    """Remove the (empty) freezer groups of this cluster's jobs, deepest first; the groups
    every cluster on this host shares (``slurm_<node>/uid_<N>``, the node name is the
    host's) only when no other slurmd runs (an xdist worker's cluster may be using them)."""
    top = FREEZER / f"slurm_{node}"
    if not top.is_dir():
        return
    ours = [d for d in top.rglob("job_*") if d.is_dir()
            and d.name[4:].isdigit() and first_job <= int(d.name[4:]) < first_job + JOB_ID_SPAN]
    for job in ours:
        for d in sorted((p for p in job.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                d.rmdir()
        with contextlib.suppress(OSError):
            job.rmdir()
    if subprocess.run(["pgrep", "-x", "slurmd"], capture_output=True).returncode == 0:
        return
    for d in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            d.rmdir()
    with contextlib.suppress(OSError):
        top.rmdir()


def _wait(predicate, timeout: float, what: str, log: Path | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    tail = log.read_text()[-3000:] if log is not None and log.is_file() else ""
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


@dataclass
class SlurmCluster:
    """A running one-machine Slurm cluster; ``env`` points Slurm's commands at it."""

    root: Path
    conf: Path
    node: str
    env: dict[str, str]
    proctrack: str = "linuxproc"  # how slurmd tracks a job's processes (:func:`freezer_cgroups`)
    procs: list[subprocess.Popen] = field(default_factory=list)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([_which(args[0]) or args[0], *args[1:]], capture_output=True,
                              text=True, env=self.env, check=check, timeout=60)

    def jobs(self) -> list[dict[str, str]]:
        """The controller's jobs (pending, running and recently ended), one dict each."""
        out = self.run("squeue", "--all", "--states=all", "--noheader",
                       "--format=%i|%T|%j").stdout
        return [dict(zip(("id", "state", "name"), line.split("|"), strict=True))
                for line in out.splitlines() if line.strip()]

    def log(self, daemon: str) -> str:
        f = self.root / f"{daemon}.log"
        return f.read_text() if f.is_file() else ""


def _slurm_conf(root: Path, node_line: str, munge_socket: Path, dbd_port: int,
                proctrack: str = "linuxproc", first_job: int = 1) -> str:
    node = node_line.split()[0].split("=", 1)[1]
    # memory: leave 1 GiB to the system, so the node is never drained for reporting less
    fields = []
    for f in node_line.split():
        if f.startswith("RealMemory="):
            f = f"RealMemory={max(1024, int(f.split('=')[1]) - 1024)}"
        if not f.startswith("UpTime="):
            fields.append(f)
    return "\n".join([
        "ClusterName=simtest",
        f"SlurmctldHost={node}",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={munge_socket}",
        f"StateSaveLocation={root / 'state'}",
        f"SlurmdSpoolDir={root / 'spool'}",
        f"SlurmctldPidFile={root / 'slurmctld.pid'}",
        f"SlurmdPidFile={root / 'slurmd.pid'}",
        f"SlurmctldLogFile={root / 'slurmctld.log'}",
        f"SlurmdLogFile={root / 'slurmd.log'}",
        "SlurmctldDebug=info",
        "SlurmdDebug=info",
        # cgroup tracking where the freezer hierarchy is ours to write (cgroup.conf beside this
        # file), else plain process tracking (containers and CI sandboxes rarely delegate cgroups)
        f"ProctrackType=proctrack/{proctrack}",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",  # memory requests are scheduled
        "SchedulerType=sched/backfill",
        "SchedulerParameters=sched_interval=2,bf_interval=2",
        "AccountingStorageType=accounting_storage/slurmdbd",
        f"AccountingStorageHost={node}",
        f"AccountingStoragePort={dbd_port}",
        f"AccountingStoragePass={munge_socket}",  # with slurmdbd: munged's socket
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/none",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "ReturnToService=2",
        "MinJobAge=300",
        # job ids of their own: two clusters on one host (one per xdist worker) share the
        # freezer groups slurm_<node>/uid_<N>/job_<id>, so equal ids would mix their jobs
        f"FirstJobId={first_job}",
        # scancel: SIGTERM (which submitit's jobs ignore), then SIGKILL at once
        "KillWait=0",
        "InactiveLimit=0",
        " ".join([*fields, "State=UNKNOWN"]),
        f"PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=60 State=UP",
        "",
    ])


@contextlib.contextmanager
def _exit_on_sigterm():
    """A SIGTERM (a CI timeout, ``kill``) unwinds the stack, so the daemons are stopped."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.getsignal(signal.SIGTERM)
    if old not in (signal.SIG_DFL, None):
        yield
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def slurm_cluster(root: Path):
    with _exit_on_sigterm(), _slurm_cluster(root) as cluster:
        yield cluster


@contextlib.contextmanager
def _slurm_cluster(root: Path):
    """Start munged, slurmctld and slurmd under ``root``; yield a :class:`SlurmCluster`; stop
    them (and any job still running) on exit."""
    reason = slurm_missing()
    if reason:
        raise RuntimeError(reason)
    root = Path(root)
    for d in ("state", "spool", "munge"):
        (root / d).mkdir(parents=True, exist_ok=True)
    os.chmod(root / "munge", 0o700)
    key = root / "munge" / "munge.key"
    subprocess.run([_which("mungekey"), "--create", f"--keyfile={key}", "--force"],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    munge_socket = root / "munge" / "munge.socket"
    node_line = subprocess.run([_which("slurmd"), "-C"], capture_output=True, text=True,
                               check=True).stdout.splitlines()[0]
    node = node_line.split()[0].split("=", 1)[1]
    db_port, dbd_port = _free_port(), _free_port()
    password = secrets.token_hex(16)  # of this throw-away database only
    conf = root / "slurm.conf"
    proctrack = "cgroup" if freezer_cgroups() else "linuxproc"
    first_job = JOB_ID_SPAN * (1 + secrets.randbelow(60_000))  # below MaxJobId
    conf.write_text(_slurm_conf(root, node_line, munge_socket, dbd_port, proctrack, first_job))
    if proctrack == "cgroup":
        # track processes only: no core or memory confinement on this shared machine
        (root / "cgroup.conf").write_text(
            "CgroupPlugin=cgroup/v1\nCgroupMountpoint=/sys/fs/cgroup\n"
            "ConstrainCores=no\nConstrainRAMSpace=no\n")
    dbd_conf = root / "slurmdbd.conf"
    dbd_conf.write_text("\n".join([
        "AuthType=auth/munge", f"AuthInfo=socket={munge_socket}", f"DbdHost={node}",
        f"DbdPort={dbd_port}", "SlurmUser=root", f"PidFile={root / 'slurmdbd.pid'}",
        f"LogFile={root / 'slurmdbd.log'}", "DebugLevel=info",
        "StorageType=accounting_storage/mysql", "StorageHost=127.0.0.1",
        f"StoragePort={db_port}", "StorageUser=slurm", f"StoragePass={password}",
        "StorageLoc=slurm_acct_db", ""]))
    os.chmod(dbd_conf, 0o600)
    env = dict(os.environ, SLURM_CONF=str(conf))
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
    cluster = SlurmCluster(root, conf, node, env, proctrack)

    def start(args: list[str], log: Path) -> subprocess.Popen:
        p = subprocess.Popen(args, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        cluster.procs.append(p)
        return p

    try:
        start([_which("munged"), "--foreground", "--force", f"--key-file={key}",
               f"--socket={munge_socket}", f"--pid-file={root / 'munge' / 'munged.pid'}",
               f"--log-file={root / 'munge' / 'munged.log'}",
               f"--seed-file={root / 'munge' / 'munged.seed'}"], root / "munged.out")
        _wait(munge_socket.exists, 20, "munged's socket", root / "munged.out")
        # job accounting: a private MariaDB on a free port, then slurmdbd
        data, sock = root / "mariadb", root / "mariadb.sock"
        subprocess.run([_which("mariadb-install-db"), "--user=root", f"--datadir={data}",
                        "--auth-root-authentication-method=socket", "--skip-test-db"],
                       check=True, capture_output=True)
        start([_which("mariadbd"), "--no-defaults", "--user=root", f"--datadir={data}",
               f"--socket={sock}", f"--port={db_port}", "--bind-address=127.0.0.1",
               f"--pid-file={root / 'mariadb.pid'}", "--innodb-buffer-pool-size=64M"],
              root / "mariadb.log")

        def sql(statement: str) -> bool:
            return subprocess.run([_which("mariadb"), f"--socket={sock}", "-uroot", "-e",
                                   statement], capture_output=True).returncode == 0

        _wait(lambda: sql("select 1"), 60, "MariaDB", root / "mariadb.log")
        if not sql(f"create user 'slurm'@'127.0.0.1' identified by '{password}'; "
                   "grant all on slurm_acct_db.* to 'slurm'@'127.0.0.1';"):
            raise RuntimeError("could not create the accounting database's user")
        start([_which("slurmdbd"), "-D", "-s"], root / "slurmdbd.out")
        env["SLURM_CONF"] = str(conf)

        def dbd_up() -> bool:
            p = subprocess.run([_which("sacctmgr"), "--noheader", "--parsable2", "show",
                                "cluster", "format=cluster"], env=env, capture_output=True,
                               text=True)
            (root / "sacctmgr.out").write_text(p.stdout + p.stderr)
            return p.returncode == 0

        _wait(dbd_up, 60, "slurmdbd", root / "sacctmgr.out")
        subprocess.run([_which("sacctmgr"), "-i", "add", "cluster", "simtest"], env=env,
                       capture_output=True, check=True)
        start([_which("slurmctld"), "-D", "-i", "-f", str(conf)], root / "slurmctld.out")
        start([_which("slurmd"), "-D", "-f", str(conf)], root / "slurmd.out")

        def idle() -> bool:
            p = subprocess.run([_which("sinfo"), "--noheader", "--format=%T"],
                               capture_output=True, text=True, env=env)
            return p.returncode == 0 and p.stdout.strip() in ("idle", "mixed", "allocated")

        _wait(idle, 60, "the Slurm node to be idle", root / "slurmctld.log")
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            subprocess.run([_which("scancel"), "--full", "--user=root"], env=env,
                           capture_output=True, timeout=20)
        for p in reversed(cluster.procs):
            _stop(p)
        if proctrack == "cgroup":
            _remove_slurm_cgroups(node, first_job)


def _stop(p: subprocess.Popen, grace: float = 10) -> None:
    if p.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(grace)


# ------------------------------------------------------------------------------------------
# Ray
# ------------------------------------------------------------------------------------------


@dataclass
class RayCluster:
    address: str
    head: subprocess.Popen
    workers: list[subprocess.Popen]
    env: dict[str, str]

    def kill_worker(self, i: int = 0) -> None:
        """Lose a worker node: SIGKILL its raylet and everything it started."""
        _kill_tree(self.workers[i].pid)


def ray_missing() -> str | None:
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed: pip install 'community-response-sim[ray]'"
    if _ray_cli() is None:
        return "the ray command is not on PATH"
    return None


def _ray_cli() -> str | None:
    here = Path(sys.executable).parent / "ray"
    return str(here) if here.is_file() else shutil.which("ray")


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        a, b = (int(x) for x in line.split())
        children.setdefault(b, []).append(a)
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            found.append(c)
            todo.append(c)
    return found


def _kill_tree(pid: int, sig: int = signal.SIGKILL) -> None:
    for p in [pid, *_descendants(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, sig)


@contextlib.contextmanager
def ray_cluster(root: Path, n_workers: int = 1, cpus: int = 1):
    """A Ray head node and ``n_workers`` worker nodes, each its own ``ray start --block``
    process tree with ``cpus`` CPUs; yields a :class:`RayCluster`; everything is killed on
    exit."""
    with _exit_on_sigterm(), _ray_cluster(root, n_workers, cpus) as cluster:
        yield cluster


@contextlib.contextmanager
def _ray_cluster(root: Path, n_workers: int, cpus: int):
    reason = ray_missing()
    if reason:
        raise RuntimeError(reason)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    # token authentication (Ray >= 2.52; on by default from 2.59): one token for this cluster,
    # given to the head, the worker nodes and the driver (RayCluster.env)
    token = root / "ray_auth_token"
    token.write_text(secrets.token_hex(32))
    os.chmod(token, 0o600)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token",
               RAY_AUTH_TOKEN_PATH=str(token))
    env.pop("RAY_AUTH_TOKEN", None)
    env.pop("RAY_ADDRESS", None)
    # the worker nodes' processes import this package from the same environment
    env["PATH"] = str(Path(sys.executable).parent) + ":" + env.get("PATH", "")
    temp = Path("/tmp") / f"ray-sim-{os.getpid()}-{port}"  # short: Unix socket paths
    common = [f"--num-cpus={cpus}", "--num-gpus=0", "--block", "--disable-usage-stats"]
    procs: list[subprocess.Popen] = []

    def start(args: list[str], log: Path) -> subprocess.Popen:
        p = subprocess.Popen([_ray_cli(), "start", *args], stdout=log.open("ab"),
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
        procs.append(p)
        return p

    address = f"127.0.0.1:{port}"
    try:
        head = start(["--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                      "--include-dashboard=false", f"--temp-dir={temp}", *common],
                     root / "ray-head.log")
        _wait_nodes(address, 1, env, root / "ray-head.log")
        workers = [start([f"--address={address}", "--node-ip-address=127.0.0.1", *common],
                         root / f"ray-worker-{i}.log") for i in range(n_workers)]
        _wait_nodes(address, 1 + n_workers, env, root / "ray-head.log")
        yield RayCluster(address, head, workers, env)
    finally:
        for p in reversed(procs):
            _kill_tree(p.pid, signal.SIGTERM)
        time.sleep(1)
        for p in reversed(procs):
            _kill_tree(p.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(10)
        shutil.rmtree(temp, ignore_errors=True)


# One interpreter connects (ray.init retries until the head's GCS answers) and polls until ``n``
# nodes are alive: a fresh interpreter per check paid Ray's import and connection each time
# (about 1.5 CPU-s and 3-6 s under load, several times while a worker node registered).
_NODES_ALIVE = """\
import sys, time
import ray
address, n, end = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while True:
    try:
        ray.init(address=address, log_to_driver=False)
        break
    except Exception as exc:  # the head is not up yet
        ray.shutdown()
        if time.monotonic() > end:
            sys.exit(f"no Ray head at {address}: {exc}")
        time.sleep(0.2)
while (alive := sum(1 for x in ray.nodes() if x["Alive"])) != n and time.monotonic() < end:
    time.sleep(0.2)
print(alive)
sys.exit(0 if alive == n else 1)
"""


def _wait_nodes(address: str, n: int, env: dict[str, str], log: Path,
                timeout: float = 120) -> None:
    p = subprocess.run([sys.executable, "-c", _NODES_ALIVE, address, str(n), str(timeout)],
                       capture_output=True, text=True, env=env, timeout=timeout + 60)
    if p.returncode != 0 or p.stdout.strip().splitlines()[-1:] != [str(n)]:
        tail = log.read_text()[-3000:] if log.is_file() else ""
        raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {n} Ray node(s) at "
                           f"{address} (alive: {p.stdout.strip()!r})\n{p.stderr[-2000:]}\n{tail}")


# ------------------------------------------------------------------------------------------
# Ray's cluster launcher (`ray up`) on SSH nodes
# ------------------------------------------------------------------------------------------

RAY_UP_RECIPE = Path(__file__).resolve().parent.parent / "experiments" / "ray_cluster.yaml"
SSH_PROGRAMS = ("sshd", "ssh", "ssh-keygen", "unshare", "nsenter", "mount", "rsync")
# lo up in a new network namespace (SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP), then wait to be killed
_LOOPBACK_UP = ("import fcntl, signal, socket, struct\n"
                "s = socket.socket()\n"
                "lo = struct.pack('16sh', b'lo', 0)\n"
                "flags = struct.unpack('16sh', fcntl.ioctl(s, 0x8913, lo))[1]\n"
                "fcntl.ioctl(s, 0x8914, struct.pack('16sh', b'lo', flags | 1))\n"
                "print('up', flush=True)\n"
                "signal.pause()\n")


def ssh_nodes_missing() -> str | None:
    """Why SSH nodes cannot be started here (``None``: they can)."""
    if not sys.platform.startswith("linux"):
        return "SSH nodes in namespaces need Linux"
    missing = [p for p in SSH_PROGRAMS if _which(p) is None]
    if missing:
        return (f"{', '.join(missing)} missing: apt-get install openssh-server openssh-client "
                "rsync (.ci/run does this)")
    if os.geteuid() != 0:
        return "SSH nodes need root (sshd; network, PID and mount namespaces)"
    if "\toverlay\n" not in Path("/proc/filesystems").read_text():
        return "the kernel has no overlay file system (each node's home folder is an overlay)"
    probe = subprocess.run([_which("unshare"), "--net", "--pid", "--fork", "--mount", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot create namespaces here: {probe.stderr.strip()}"
    return None


@dataclass
class SSHNode:
    ip: str
    sshd: subprocess.Popen  # ``nsenter``, then ``unshare``: its child is the namespace's sshd
    tmp: Path  # the node's TMPDIR (Ray's temp folder is TMPDIR/ray)
    pid_namespace: str = ""  # e.g. ``pid:[4026532310]``


@dataclass
class SSHNodes:
    nodes: list[SSHNode]
    key: Path  # logs in as the current user on every node
    enter: list[str]  # prefix for a command run in the nodes' network namespace


@contextlib.contextmanager
def ssh_nodes(root: Path, ips: tuple[str, ...]):
    """One sshd on port 22 of each address in ``ips``, as if each were a machine of its own, in
    a network namespace of their own (so port 22 and Ray's ports are free whatever runs on this
    host; run commands there with ``enter``). Each sshd is the first process of its own PID and
    mount namespace: ``ray stop`` (which ``ray down`` runs on the head) sees only that node's
    processes, not the other Ray instances on this host; the home folder is an overlay (the
    node's writes, such as ``~/ray_bootstrap_key.pem`` and ``~/.bashrc``, stay on the node's
    own tmpfs) and TMPDIR is the node's own. Ending the sshd ends everything in its namespace.
    Yields an :class:`SSHNodes`."""
    with _exit_on_sigterm(), _ssh_nodes(root, ips) as out:
        yield out


@contextlib.contextmanager
def _ssh_nodes(root: Path, ips: tuple[str, ...]):
    import pwd

    reason = ssh_nodes_missing()
    if reason:
        raise RuntimeError(reason)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    key = root / "ssh_key"
    keygen = _which("ssh-keygen")
    for k in (key, root / "host_key"):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(k)], check=True)
    home = pwd.getpwuid(os.getuid()).pw_dir
    run_sshd = Path("/run/sshd")  # sshd's privilege separation folder
    made_run_sshd = not run_sshd.exists()
    run_sshd.mkdir(exist_ok=True)
    # short: Ray's Unix sockets live under TMPDIR
    tmp_root = Path("/tmp") / f"rsim-{os.getpid()}-{secrets.token_hex(3)}"
    nodes: list[SSHNode] = []
    net = subprocess.Popen([_which("unshare"), "--net", "--kill-child", sys.executable, "-c",
                            _LOOPBACK_UP], stdout=subprocess.PIPE, text=True,
                           start_new_session=True)
    try:
        if net.stdout.readline().strip() != "up":
            raise RuntimeError("could not start a network namespace with loopback up")
        enter = [_which("nsenter"), f"--net=/proc/{_descendants(net.pid)[0]}/ns/net"]
        for i, ip in enumerate(ips):
            d = root / f"node{i}"
            (d / "home").mkdir(parents=True)
            tmp = tmp_root / f"node{i}"
            tmp.mkdir(parents=True)
            conf = d / "sshd_config"
            conf.write_text("\n".join([
                f"ListenAddress {ip}:22", f"HostKey {root / 'host_key'}",
                f"PidFile {d / 'sshd.pid'}", f"AuthorizedKeysFile {key}.pub",
                "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password", "UsePAM no", "StrictModes no",
                f"SetEnv TMPDIR={tmp}", ""]))
            # the overlay's writable layer on a tmpfs of the node's own (an overlay cannot
            # write onto another overlay, as a container's /tmp may be)
            h = d / "home"
            script = (f"mount -t tmpfs tmpfs {h} && mkdir {h}/upper {h}/work && "
                      f"mount -t overlay overlay -o lowerdir={home},upperdir={h}/upper,"
                      f"workdir={h}/work {home} && exec {_which('sshd')} -D -e -f {conf}")
            log = d / "sshd.log"
            p = subprocess.Popen([*enter, _which("unshare"), "--pid", "--kill-child",
                                  "--mount-proc", "--mount", "sh", "-c", script],
                                 stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                 start_new_session=True)
            nodes.append(SSHNode(ip, p, tmp))
            _wait(lambda d=d, p=p: (d / "sshd.pid").exists() or p.poll() is not None, 30,
                  f"sshd on {ip}", log)
            if p.poll() is not None:
                raise RuntimeError(f"sshd on {ip} did not start:\n{log.read_text()[-2000:]}")
            nodes[-1].pid_namespace = os.readlink(f"/proc/{_sshd_pid(p.pid)}/ns/pid")
        yield SSHNodes(nodes, key, enter)
    finally:
        for n in nodes:
            _stop_namespace(n.sshd)
        _kill_tree(net.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            net.wait(10)
        net.stdout.close()
        shutil.rmtree(tmp_root, ignore_errors=True)
        if made_run_sshd:
            with contextlib.suppress(OSError):
                run_sshd.rmdir()


def _sshd_pid(pid: int) -> int:
    """The sshd below ``nsenter``/``unshare`` (as this host's PID)."""
    for q in _descendants(pid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{q}/exe").resolve().name == "sshd":
                return q
    raise RuntimeError(f"no sshd below process {pid}")


def _stop_namespace(p: subprocess.Popen) -> None:
    """End a node: SIGKILL its sshd, the first process of its PID namespace, and the kernel kills
    everything else in there (``unshare``, its parent, ignores SIGTERM)."""
    for pid in _descendants(p.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        p.wait(20)


def leftover_processes(nodes: list[SSHNode], *marks: str) -> list[str]:
    """Processes still in the nodes' PID namespaces, or whose command line holds one of
    ``marks`` (paths of the test); as ``pid command`` lines."""
    spaces = {n.pid_namespace for n in nodes}
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            ns = os.readlink(proc / "ns" / "pid")
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        if ns in spaces or any(m in cmd for m in marks):
            out.append(f"{proc.name} {cmd[:200]}")
    return out


def ray_up_config(path: Path, nodes: list[SSHNode], key: Path, venv: Path, shared: Path,
                  cpus: int = 1, name: str = "community-sim") -> Path:
    """``experiments/ray_cluster.yaml`` with only the hosts, user, key, paths, CPU counts and
    cluster name replaced; written to ``path``."""
    import getpass

    text = RAY_UP_RECIPE.read_text()
    for old, new in [("HEAD_HOST", nodes[0].ip),
                     ("[WORKER_HOST]", "[" + ", ".join(n.ip for n in nodes[1:]) + "]"),
                     ("YOUR_USER", getpass.getuser()), ("~/.ssh/id_ed25519", str(key)),
                     (f"/shared/{getpass.getuser()}/venvs/sim", str(venv)),
                     (f"/shared/{getpass.getuser()}", str(shared)),
                     ("--num-cpus=16", f"--num-cpus={cpus}"),
                     ("cluster_name: community-sim", f"cluster_name: {name}")]:
        assert old in text, f"{old} is no longer in {RAY_UP_RECIPE}"
        text = text.replace(old, new)
    path.write_text(text)
    return path
