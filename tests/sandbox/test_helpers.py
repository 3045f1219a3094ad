"""Where the sandbox helpers may live: only where nobody but root or the service can replace them."""

import os
import stat

import pytest

from sandbox.helpers import HelpersUnavailable, check_private


def test_a_private_directory_is_accepted(tmp_path):
    directory = tmp_path / "helpers"
    directory.mkdir(mode=0o755)
    check_private(directory)  # tmp_path sits under the sticky /tmp: allowed


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_a_directory_others_can_write_is_refused(tmp_path, mode):
    directory = tmp_path / "helpers"
    directory.mkdir()
    directory.chmod(mode)
    with pytest.raises(HelpersUnavailable, match="writable by others"):
        check_private(directory)


def test_a_non_sticky_world_writable_parent_is_refused(tmp_path):
    parent = tmp_path / "shared"
    parent.mkdir()
    parent.chmod(0o777)  # no sticky bit: anyone could rename helpers/ away and plant their own
    (parent / "helpers").mkdir(mode=0o755)
    with pytest.raises(HelpersUnavailable):
        check_private(parent / "helpers")
    parent.chmod(0o777 | stat.S_ISVTX)
    check_private(parent / "helpers")


def test_a_directory_owned_by_someone_else_is_refused(tmp_path):
    """Runs as root, as CI and these machines do (chown to another user needs it)."""
    directory = tmp_path / "helpers"
    directory.mkdir(mode=0o755)
    os.chown(directory, 65534, 65534)
    with pytest.raises(HelpersUnavailable, match="not owned by root"):
        check_private(directory)
