"""A build killed at any file-system step of the swap, or of the recovery after it, loses nothing.

Every step is enumerated by wrapping the `os` functions that change the file system (rename,
replace, unlink, rmdir, mkdir, opening a file to write), including those `shutil.rmtree` and
`tempfile` call, and their count is asserted. A scenario kills a good build at step N in a
forked child with `os._exit`, so that no `except`/`finally` of the build runs, as with a real
kill. From the state left, it kills the next build's recovery at each of its steps M (in this
process, by an exception that must come out of the build with no step after it). Then (a) a
build that fails on a typo runs, (b) the folder must hold the whole old or the whole new
release and nothing else, (c) a good build runs, and (b) again. All of it under both
directory-listing orders, since `rmtree` deletes in listing order: the order that once deleted
a `committed` marker before the release it governed.

The builds are the real `build()`; only its pure parts, compiling a curated folder and the
standards checks, are memoised, so that the 2,100-odd scenarios take seconds.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURE, edit
from crash_steps import (
    BUILD_STEPS,
    FILES,
    ORDERS,
    Memo,
    assert_readable,
    killed,
    killed_here,
    memoise,
    recorded,
    release_digest,
)

from ai_lab_funding.problems import InvalidData
from ai_lab_funding.release import publish, swap

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or not Path("/proc/self/fd").is_dir(),
    reason="kills forked children and names files by /proc/self/fd",
)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The module's folder; in memory when /dev/shm allows, as thousands of small files are
    written and deleted there."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("crash")
        return
    folder = Path(tempfile.mkdtemp(prefix="test-crash-", dir=shm))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def world(base):
    """The old release, the curated folders of the new one and of a typo, memoised builds."""
    new, typo = base / "new", base / "typo"
    shutil.copytree(FIXTURE, new)
    edit(new, "companies", ("company_id", "moonshot-ai"), "headquarters", "Beijing, China")
    shutil.copytree(new, typo)
    edit(typo, "rounds", ("round_id", "moonshot-ai-2025-12-series-c"), "round_type", "series_cc")
    memo = Memo()
    with pytest.MonkeyPatch.context() as mp:
        memoise(mp, memo)
        publish.build(FIXTURE, base / "old", docs=False)
        publish.build(new, base / "new-release", docs=False)
        with pytest.raises(InvalidData):
            publish.build(typo, base / "new-release", docs=False)
    for root in (base / "old", base / "new-release"):
        assert_readable(root)
    digests = {"old": release_digest(base / "old"), "new": release_digest(base / "new-release")}
    assert digests["old"] != digests["new"]
    return {
        "base": base,
        "old": base / "old",
        "new-release": base / "new-release",
        "memo": memo,
        "digests": digests,
        "build_new": lambda root: publish.build(new, root, docs=False),
        "build_typo": lambda root: publish.build(typo, root, docs=False),
    }


@pytest.fixture(autouse=True)
def memoised(world, monkeypatch):
    """Every build of a test here compiles and checks from the memo (children inherit it)."""
    memoise(monkeypatch, world["memo"])


def clone(src: Path, dst: Path) -> Path:
    """A copy of a release folder in any state, by hard links: builds only rename, unlink and
    create files, never write into one. Without the lock file, which each copy makes anew."""
    return Path(shutil.copytree(src, dst, copy_function=os.link, ignore=lambda d, n: [swap.LOCK]))


@pytest.fixture
def scratch(world):
    """A folder for one test's scenarios, beside the old release so that it can be linked."""
    folder = Path(tempfile.mkdtemp(dir=world["base"]))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def failing_build(world, order: str, root: Path) -> list[str]:
    """(a) The build with a typo: it must fail, after recovering; the steps its recovery took."""

    def run():
        with pytest.raises(InvalidData):
            world["build_typo"](root)

    return recorded(order, root, run)


def assert_whole(world, root: Path, expected: str) -> None:
    """(b) The folder holds the whole `expected` release and nothing else (lock file aside)."""
    after = release_digest(root)
    digests = world["digests"]
    which = [name for name, d in digests.items() if d == after]
    assert which == [expected], f"neither the whole old nor the whole new release: {sorted(after)}"
    assert {p.name for p in root.iterdir()} == {"data", "datapackage.json", swap.LOCK}


# ---------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def enumerated(world):
    """Every step of a good build over the old release, per listing order."""
    steps = {}
    with pytest.MonkeyPatch.context() as mp:
        memoise(mp, world["memo"])
        for order in ORDERS:
            root = clone(world["old"], world["base"] / f"enumerate-{order}")
            steps[order] = recorded(order, root, lambda root=root: world["build_new"](root))
            assert_whole(world, root, "new")
    return steps


@pytest.mark.parametrize("order", ORDERS)
def test_every_step_of_the_swap_is_enumerated(enumerated, order):
    steps = enumerated[order]
    assert len(steps) == BUILD_STEPS, "\n".join(steps)
    renames = [s for s in steps if s.startswith("replace ")]
    assert renames == [
        "replace .release-tmp-* -> .release-swap",
        "replace datapackage.json -> .release-swap/old/datapackage.json",
        "replace data -> .release-swap/old/data",
        "replace .release-swap/data -> data",
        "replace .release-swap/datapackage.json -> datapackage.json",
        "replace .release-swap -> .release-trash-*",
    ]
    deleted = [s for s in steps if s.startswith(("unlink ", "rmdir "))]
    assert len(deleted) == FILES + 3 and all(".release-trash-*" in s for s in deleted)
    assert steps != enumerated[ORDERS[1 - ORDERS.index(order)]], "both orders deleted alike"


def assert_recovers(world, order: str, state: Path, expected: str, scratch: Path) -> None:
    """From `state`, with the next build's recovery killed at each of its steps or not at all:
    (a) a build with a typo fails, (b) the folder holds the `expected` release, whole, (c) a
    good build succeeds and (b) the folder holds the new release."""
    recovery = failing_build(world, order, clone(state, scratch / "probe"))
    for kill_at in range(len(recovery) + 1):  # 0: the recovery is not killed
        root = clone(state, scratch / f"recovery-{kill_at}")
        if kill_at:  # recovery has no `except` (checked), so the kill can be simulated here
            killed_here(order, root, lambda root=root: world["build_typo"](root), at=kill_at)
        # A recovery finishes what a killed one started, and nothing else.
        assert failing_build(world, order, root) == recovery[max(kill_at - 1, 0) :]
        assert_whole(world, root, expected)
        recorded(order, root, lambda root=root: world["build_new"](root))
        assert_whole(world, root, "new")


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("step", range(1, BUILD_STEPS + 1))
def test_a_kill_at_any_step_leaves_a_whole_release(world, enumerated, scratch, order, step):
    steps = enumerated[order]  # the commit: the journal becomes trash (if it ever does)
    commit = next((n for n, s in enumerate(steps, 1) if s.endswith("-> .release-trash-*")), 0)
    state = clone(world["old"], scratch / "killed")
    killed(order, state, lambda: world["build_new"](state), at=step)
    assert_recovers(world, order, state, "new" if commit and step > commit else "old", scratch)


def legacy_swap(world, root: Path, steps: int, deleted: int) -> None:
    """The previous design's swap, stopped after `steps` of its steps, the last of which
    deleted `.release-old/` (in listing order, `committed` first) for `deleted` files."""
    old, staging = root / ".release-old", root / ".release-tmp-legacy"
    clone(world["new-release"], staging)
    actions = [
        old.mkdir,
        lambda: os.replace(root / "datapackage.json", old / "datapackage.json"),
        lambda: os.rename(root / "data", old / "data"),
        lambda: os.rename(staging / "data", root / "data"),
        lambda: os.replace(staging / "datapackage.json", root / "datapackage.json"),
        (old / "committed").touch,
    ]
    for act in actions[:steps]:
        act()
    if deleted:
        parked = [old / "committed", *sorted((old / "data").iterdir()), old / "datapackage.json"]
        for path in parked[:deleted]:
            path.unlink()


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "steps, deleted", [(n, 0) for n in range(1, 7)] + [(6, 1), (6, 4), (6, FILES + 1)]
)
def test_a_swap_left_by_the_previous_design_is_settled(world, scratch, order, steps, deleted):
    state = clone(world["old"], scratch / "killed")
    legacy_swap(world, state, steps, deleted)
    assert_recovers(world, order, state, "new" if steps >= 5 else "old", scratch)
