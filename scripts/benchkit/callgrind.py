"""Instructions per replayed message: Backstop's replay into smtp-sink, counted by valgrind's callgrind.

Wall times on a shared machine vary from run to run; instruction counts repeat. The messages are queued
by a normal Backstop with the primary down; then the same spool is served by Backstop under
`valgrind --tool=callgrind --instr-atstart=no`. Counting is switched on (`callgrind_control -i on`)
just before smtp-sink starts, and off once the sink has counted the last message and the spool is empty
(the outcomes are recorded), so the figure holds the replay and the health probes and timers of those
seconds, not the start, the intake or the shutdown.
"""

import os
import re
import shutil
import subprocess
import time

from .measurements import queue_with_primary_down
from .servers import Backstop, Sink
from .system import KB, free_port, log

SIZE = 4 * KB
TOP = 40


def ensure_valgrind():
    if shutil.which("valgrind") and shutil.which("callgrind_control") and shutil.which("callgrind_annotate"):
        return
    log("installing valgrind from Debian's packages")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "valgrind"], check=True, env=env)


def callgrind_control(pid, *args):
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


def total_instructions(out_file):
    """The Ir total of the profile: `totals:` (the sum over the run), else `summary:`."""
    found = {}
    with open(out_file) as f:
        for line in f:
            match = re.match(r"(summary|totals):\s+(\d+)", line)
            if match:
                found[match.group(1)] = int(match.group(2))
    if not found:
        raise RuntimeError(f"no instruction total in {out_file}")
    return found.get("totals", found.get("summary"))


def demangle(text):
    """Swift symbols in readable form, when the toolchain's demangler is at hand."""
    swift = shutil.which("swift-demangle") or shutil.which("swift")
    if not swift:
        return text
    command = [swift] if swift.endswith("swift-demangle") else [swift, "demangle"]
    result = subprocess.run([*command, "--simplified"], input=text, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else text


def annotate(out_file, inclusive):
    result = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                             "--threshold=100", out_file], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    # Keep the header and totals, then the TOP most costly functions.
    start = next((i for i, line in enumerate(lines) if re.search(r"file:function", line)), 0)
    body = [line for line in lines[start + 1:] if line.strip() and not line.startswith("-")]
    return demangle("\n".join(lines[:start + 1] + body[:TOP]) + "\n")


def without_debug_info(binary, work):
    """A copy of `binary` without its DWARF sections: valgrind 3.19 gives up on the toolchain's DWARF 5,
    and the symbol table alone names every function (the code, so the count, is the same)."""
    copy = os.path.join(work, "backstop-nodebug")
    subprocess.run(["objcopy", "--strip-debug", binary, copy], check=True)
    return copy


# libdispatch parks the main thread in sigsuspend() on a mask in read-only memory, which valgrind 3.19
# writes to (it removes its own signals from the mask) and dies; the shim hands the kernel a copy.
SIGSUSPEND_SHIM = r"""
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)(_NSIG / 8));
}
"""


def sigsuspend_shim(work):
    source, library = os.path.join(work, "sigsuspend-shim.c"), os.path.join(work, "sigsuspend-shim.so")
    with open(source, "w") as f:
        f.write(SIGSUSPEND_SHIM)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", library, source], check=True)
    return library


def replay_under_callgrind(binary, work, messages, replay_connections, out_dir):
    binary = without_debug_info(binary, work)
    shim = sigsuspend_shim(work)
    sink = Sink(free_port())
    backstop = Backstop(binary, work, sink.port, replay_connections)
    # Under valgrind everything runs several times slower: give the health probe room to answer.
    backstop.check_interval = backstop.probe_timeout = "3s"
    out_file = os.path.join(out_dir, "callgrind.out")
    try:
        backstop.start()
        queue_with_primary_down(backstop, messages, SIZE)
        backstop.restart(["env", f"LD_PRELOAD={shim}", "valgrind", "--tool=callgrind", "--instr-atstart=no",
                          f"--callgrind-out-file={out_file}", "--log-file=" + os.path.join(out_dir, "valgrind.log")])
        pid = backstop.proc.pid
        callgrind_control(pid, "-i", "on")
        sink.start()
        try:
            sink.wait_for(messages, timeout=1800)
            deadline = time.monotonic() + 300
            while backstop.queued() > 0:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{backstop.queued()} messages still queued after the sink counted all")
                time.sleep(0.05)
            callgrind_control(pid, "-i", "off")
            replay_seconds = time.monotonic() - sink.started_at
        finally:
            sink.stop()
        backstop.stop(timeout=600)
    finally:
        backstop.stop()
        sink.stop()
    return out_file, replay_seconds


def main(args, binary, work):
    ensure_valgrind()
    out_dir = os.path.abspath(args.callgrind_out or work)
    os.makedirs(out_dir, exist_ok=True)
    messages = args.callgrind_messages
    out_file, seconds = replay_under_callgrind(binary, work, messages, args.replay_connections, out_dir)
    total = total_instructions(out_file)
    inclusive = os.path.join(out_dir, "callgrind-inclusive.txt")
    exclusive = os.path.join(out_dir, "callgrind-self.txt")
    with open(inclusive, "w") as f:
        f.write(annotate(out_file, inclusive=True))
    with open(exclusive, "w") as f:
        f.write(annotate(out_file, inclusive=False))
    build = "debug" if args.debug else "release"
    print(f"""## Backstop replay under callgrind

{messages:,} x 4 KB queued with the primary down, then smtp-sink started; Backstop ({build} build, \
{os.path.basename(binary)} at {binary}) replays by itself with up to {args.replay_connections} connections; \
counted from the sink's start until the spool is empty ({seconds:.0f} s under valgrind).

| instructions (Ir) | replayed messages | Ir per message |
|---:|---:|---:|
| {total:,} | {messages:,} | {total / messages:,.0f} |

Top {TOP} functions by inclusive cost: {inclusive}; by own cost: {exclusive}; raw profile: {out_file}.""")
    if not args.keep and not args.callgrind_out:
        log(f"profile kept in {out_dir}")
    return 0
