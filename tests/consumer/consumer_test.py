#!/usr/bin/env python3
"""Builds the tiny project in tests/consumer/project against corio, the two ways a user would consume it:

  installed   `meson install --destdir` of the current build into a temp dir, then the consumer finds corio
              through pkg-config (corio.pc, PKG_CONFIG_PATH + PKG_CONFIG_SYSROOT_DIR pointing into the destdir);
  subproject  the corio source tree as subprojects/corio (with a corio.wrap providing `corio`), found by a
              plain dependency('corio').

Each consumer is run and its output checked. Everything happens under a fresh directory in /tmp, removed at
the end. Usage: consumer_test.py SOURCE_ROOT BUILD_ROOT VERSION CXX...
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

WRAP = """[wrap-git]
url = https://example.invalid/corio.git
revision = head
directory = corio

[provide]
dependency_names = corio
"""


def run(cmd, env=None, cwd=None):
    started = time.monotonic()
    result = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.monotonic() - started
    print(f"$ {' '.join(cmd)}  ({elapsed:.1f} s, exit {result.returncode})")
    if result.returncode != 0:
        print(result.stdout)
        raise SystemExit(f"consumer test: command failed: {' '.join(cmd)}")
    return result.stdout


def check_output(binary, version):
    out = run([binary]).strip()
    expected = f"corio {version} says 42"
    print(f"  output: {out!r}")
    if out != expected:
        raise SystemExit(f"consumer test: expected {expected!r}, got {out!r}")


def main():
    source_root, build_root, version = sys.argv[1:4]
    cxx = sys.argv[4:]
    project = os.path.join(source_root, "tests", "consumer", "project")
    env = dict(os.environ)
    # meson test exports variables of its own build; the nested builds must not see them.
    for key in list(env):
        if key.startswith("MESON_") or key in ("PKG_CONFIG_PATH", "PKG_CONFIG_SYSROOT_DIR", "PKG_CONFIG_LIBDIR"):
            del env[key]
    if cxx:
        env["CXX"] = " ".join(cxx)

    tmp = tempfile.mkdtemp(prefix="corio-consumer-", dir="/tmp")
    try:
        # (a) install into a destdir and consume through pkg-config.
        destdir = os.path.join(tmp, "destdir")
        run(["meson", "install", "-C", build_root, "--destdir", destdir, "--no-rebuild", "--tags", "devel", "--quiet"],
            env=env)
        pcs = glob.glob(os.path.join(destdir, "**", "pkgconfig", "corio.pc"), recursive=True)
        if len(pcs) != 1:
            raise SystemExit(f"consumer test: expected one installed corio.pc, found {pcs}")
        installed_env = dict(env)
        installed_env["PKG_CONFIG_PATH"] = os.path.dirname(pcs[0])
        installed_env["PKG_CONFIG_SYSROOT_DIR"] = destdir
        flags = run(["pkg-config", "--cflags", "--libs", "corio"], env=installed_env).strip()
        print(f"  pkg-config corio: {flags}")
        if destdir not in flags:
            raise SystemExit("consumer test: pkg-config flags do not point into the install")
        src_a = os.path.join(tmp, "installed-src")
        shutil.copytree(project, src_a)
        build_a = os.path.join(tmp, "installed-build")
        run(["meson", "setup", build_a, src_a, "--wrap-mode=nofallback"], env=installed_env)
        run(["ninja", "-C", build_a, "consumer"], env=installed_env)
        check_output(os.path.join(build_a, "consumer"), version)

        # (b) corio as a subproject.
        src_b = os.path.join(tmp, "subproject-src")
        shutil.copytree(project, src_b)
        subprojects = os.path.join(src_b, "subprojects")
        os.makedirs(subprojects)
        os.symlink(os.path.abspath(source_root), os.path.join(subprojects, "corio"))
        with open(os.path.join(subprojects, "corio.wrap"), "w", encoding="utf-8") as f:
            f.write(WRAP)
        build_b = os.path.join(tmp, "subproject-build")
        run(["meson", "setup", build_b, src_b, "--wrap-mode=nodownload", "--force-fallback-for=corio"], env=env)
        run(["ninja", "-C", build_b, "consumer"], env=env)
        check_output(os.path.join(build_b, "consumer"), version)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("consumer test: both ways work")


if __name__ == "__main__":
    main()
