"""QEMU end-to-end tests of flow-group moves under pressure (issue 12, item 4): with
migrate_test=5 the management core moves 16 flow groups (RSS buckets, with their TCP
connections) to the next core every 5 ms, twice as often as test_tcp's
connections_survive_flow_group_moves, while echo streams run. Every other round of that hook
only writes its move requests and waits for none, exactly what a timed-out move leaves
behind, so the next request to the same core finds one unacknowledged and must wait it out
(net/dp_move.c:dp_move_post): the overlap that could split a group over two cores.

A group split over two cores shows as connections whose packets reach a core without their
PCB: that core answers with a reset (tcp_rst_nopcb) and the stream breaks. So each test
checks that every byte comes back, that no connection was lost or reset, that every
connection that left a core arrived at another (conns_exported == conns_imported, summed over
the cores), and from the hook's once-a-second summary that thousands of moves were made and
that requests did find an older one unacknowledged and waited it out. Every test runs on igb
and ixgbe."""
import re

from qemu import Machine, NetNS, TestFailure, direct_args
from test_net import per_nic_into, stats_until, total
from test_tcp import ECHO_APP, GUEST, echo, stats_now, up

TESTS = []
MOVES = GUEST + " migrate_test=5"


def per_nic(fn):
    return per_nic_into(TESTS, fn)


def migrate_summary(m):
    """The counters of the newest migrate_test summary line (moves_posted, moves_waited,
    moves_refused, moves_late, all since boot)."""
    lines = re.findall(r"dataplane: migrate_test: (.*)", m.text())
    if not lines:
        raise TestFailure("no migrate_test summary line: the hook did not run")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}


def moves_under_echo(m, ns, nbytes, conns):
    """Runs the echo streams while groups move; checks the counters the moves must keep."""
    up(m, ns)
    before, _ = stats_now(m)
    summary0 = migrate_summary(m)
    echo(ns, "tcp", "--bytes", nbytes, "--conns", conns, timeout=240)
    def settled(cores, _):
        if total(cores, "conns_lost"):
            raise TestFailure("%d connections lost in moves" % total(cores, "conns_lost"))
        exported, imported = total(cores, "conns_exported"), total(cores, "conns_imported")
        if exported == 0:
            raise TestFailure("no connection moved: %s" % cores)
        # The hook goes on moving groups (and the connections closing in them) after the
        # streams end: a block printed while some are between two cores counts them as left
        # and not yet arrived. Every one must arrive.
        if exported != imported:
            return "%d connections left a core, %d arrived at one" % (exported, imported)
        return None

    cores, _ = stats_until(m, m.mark(), settled)
    summary = migrate_summary(m)
    exported = total(cores, "conns_exported")
    resets = total(cores, "tcp_rst_nopcb") - total(before, "tcp_rst_nopcb")
    if resets:
        raise TestFailure("%d segments reached a core without their connection (a group split "
                          "over two cores?)" % resets)
    posted = summary["moves_posted"] - summary0["moves_posted"]
    waited = summary["moves_waited"] - summary0["moves_waited"]
    if posted < 1000:
        raise TestFailure("only %d moves during the streams: %s" % (posted, summary))
    if waited == 0:
        raise TestFailure("no move request found its core's previous one unacknowledged: the "
                          "overlap was not exercised (%s)" % summary)
    # Not checked: moves_late and moves_refused (logged "timed out", "not moved:"). Under TCG
    # the host may deschedule a vCPU for over a second; then its move is late and the next
    # one to it waits or is refused, which is the design working, and loses nothing.
    m.absent(r"FATAL|error: ")
    return exported, posted, waited


@per_nic
def rapid_flow_group_moves_keep_long_streams(tmp, nic):
    """16 long streams (8 MiB each) over thousands of moves: each connection moves many
    times, with unacknowledged data and held receive buffers, often right after it arrived
    (a move out of a core drains that core's imports first)."""
    with NetNS(nic=nic) as ns, Machine(direct_args(MOVES, ECHO_APP), smp=4, netns=ns) as m:
        moves_under_echo(m, ns, 128 << 20, 16)


@per_nic
def rapid_flow_group_moves_keep_groups_whole(tmp, nic):
    """256 connections (256 KiB each), so each of the 128 groups holds several at once: a
    move that carried some of a group's connections to one core and the rest to another (the
    overlap bug) would leave connections whose packets reach a core without their PCB. Many
    connections per core also make moves of connections with more in flight than their
    congestion window likely (net/stack/migrate.c must keep snd_nxt for those)."""
    with NetNS(nic=nic) as ns, Machine(direct_args(MOVES, ECHO_APP), smp=4, netns=ns) as m:
        moves_under_echo(m, ns, 64 << 20, 256)
