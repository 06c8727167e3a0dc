"""JVM memory settings of every Java container, checked by a real JVM (not by parsing flags ourselves).

Each container's options are handed to ``java`` exactly as the image hands them (the Spring
services' ``JAVA_TOOL_OPTIONS`` environment variable, Kafka's ``KAFKA_HEAP_OPTS`` and Zipkin's
``JAVA_OPTS`` on the command line), with ``-XX:MaxRAM`` standing in for the container's memory
limit (what the JVM reads from the cgroup inside the pod), and ``-XX:+PrintFlagsFinal`` says
what heap the JVM would take. The JVM also rejects any option it does not know.
The images run Java 21, this machine Debian's OpenJDK 17: the flags used mean the same in both.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

from components.kubernetes.runtime import JVM_NON_HEAP_MIB, mebibytes
from components.services import SERVICES
from tests.support.manifests import manifest
from tests.support.real_programs import require
from tools.harness import real_servers

MIB = 1024 * 1024


def final_flags(limit_mib: int, options: list[str], tool_options: str | None = None) -> dict[str, str]:
    java = real_servers.java()
    require("java", java)
    env = {"PATH": "/usr/bin:/bin"} | ({"JAVA_TOOL_OPTIONS": tool_options} if tool_options else {})
    result = subprocess.run([java, f"-XX:MaxRAM={limit_mib}m", *options, "-XX:+PrintFlagsFinal", "-version"],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return dict(re.findall(r"^\s*\S+\s+(\w+)\s+:?=\s+(\S+)", result.stdout, re.MULTILINE))


def env_of(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def test_every_spring_service_leaves_room_outside_the_heap(local, prod):
    # Every (limit, options) pair any stack renders, each checked once by the JVM.
    settings: dict[tuple[int, str], list[str]] = {}
    for snap in (local, prod):
        for service in (s for s in SERVICES if s.is_backend):
            [container] = manifest(snap, "Deployment", service.name)["spec"]["template"]["spec"]["containers"]
            key = (mebibytes(container["resources"]["limits"]["memory"]), env_of(container)["JAVA_TOOL_OPTIONS"])
            settings.setdefault(key, []).append(f"{snap.stack}/{service.name}")
    assert {limit for limit, _ in settings} == {512, 1024}  # both sizes of the spec's table are covered
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(settings, pool.map(lambda key: final_flags(key[0], [], key[1]), settings), strict=True))
    for (limit, _), flags in results.items():
        heap = int(flags["MaxHeapSize"]) // MIB
        where = settings[(limit, _)]
        assert limit - heap >= JVM_NON_HEAP_MIB, f"{where}: heap {heap} MiB of {limit} MiB"
        assert heap >= limit // 2, f"{where}: heap {heap} MiB of {limit} MiB wastes the limit"
        assert flags["ExitOnOutOfMemoryError"] == "true", where


def test_the_old_setting_left_too_little_outside_the_heap():
    flags = final_flags(512, [], "-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp")
    assert 512 - int(flags["MaxHeapSize"]) // MIB < JVM_NON_HEAP_MIB


def test_kafka_heap_is_half_its_limit(local):
    [container] = manifest(local, "Deployment", "kafka-spring")["spec"]["template"]["spec"]["containers"]
    limit = mebibytes(container["resources"]["limits"]["memory"])
    # kafka-server-start.sh: KAFKA_HEAP_OPTS, when set, replaces its default "-Xmx1G -Xms1G" on the
    # java command line (apache/kafka bin/kafka-server-start.sh); 1G is the whole 1Gi limit.
    heap_options = env_of(container)["KAFKA_HEAP_OPTS"].split()
    flags = final_flags(limit, heap_options)
    assert int(flags["MaxHeapSize"]) // MIB == int(flags["InitialHeapSize"]) // MIB == limit // 2
    assert int(final_flags(limit, ["-Xmx1G", "-Xms1G"])["MaxHeapSize"]) // MIB == limit  # the default: all of it


def test_zipkin_keeps_its_heap_and_exits_on_out_of_memory(local):
    [container] = manifest(local, "Deployment", "zipkin-spring")["spec"]["template"]["spec"]["containers"]
    limit = mebibytes(container["resources"]["limits"]["memory"])
    env = env_of(container)
    assert env["STORAGE_TYPE"] == "mem"
    # start-zipkin runs `java ${JAVA_OPTS} ...`: the variable, word-split, on the command line.
    flags = final_flags(limit, env["JAVA_OPTS"].split())
    assert flags["ExitOnOutOfMemoryError"] == "true"
    assert int(flags["MaxHeapSize"]) // MIB == 160  # the image's own choice for in-memory storage
    assert limit - 160 >= JVM_NON_HEAP_MIB
