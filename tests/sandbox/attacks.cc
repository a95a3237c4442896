#include "attacks.h"

namespace ward::testing {
namespace {

// Shared by the attacks: `expect_fail(fn)` prints CONTAINED when fn raises
// (or returns -1 from libc), ESCAPED otherwise.
constexpr const char* kPrelude = R"PY(
import ctypes, errno, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def expect_fail(label, fn):
    try:
        r = fn()
    except Exception as e:
        print("CONTAINED", label, type(e).__name__)
        return
    if isinstance(r, int) and r < 0:
        print("CONTAINED", label, errno.errorcode.get(ctypes.get_errno(), "?"))
    else:
        print("ESCAPED", label, repr(r)[:200])
def expect_true(label, ok, detail=""):
    print(("CONTAINED " if ok else "ESCAPED ") + label + " " + str(detail)[:300])
)PY";

std::vector<Attack> Build() {
  std::vector<Attack> a = {
      {"TcpToLoopbackListener",
       "expect_fail('tcp', lambda: socket.create_connection(('127.0.0.1', {PORT}), timeout=1))"},
      {"TcpToHostAddress",
       "expect_fail('tcp', lambda: socket.create_connection(('{ADDR}', {PORT}), timeout=1))"},
      {"UdpToLoopbackListener",
       "expect_fail('udp', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
       ".sendto(b'x', ('127.0.0.1', {UDP})))"},
      {"UdpToHostAddress",
       "expect_fail('udp', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
       ".sendto(b'x', ('{ADDR}', {UDP})))"},
      {"DnsLookup", "expect_fail('dns', lambda: socket.getaddrinfo('example.com', 443))"},
      {"RawSocket",
       "expect_fail('raw', lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 1))"},
      {"PacketSocket",
       "expect_fail('packet', lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))"},
      {"NetlinkSocket",
       "expect_fail('netlink', lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))"},
      {"Ipv6Socket", "expect_fail('inet6', lambda: socket.socket(socket.AF_INET6))"},
      {"ReadEtcShadow", "expect_fail('shadow', lambda: open('/etc/shadow').read())"},
      {"ReadHostHome",
       "expect_fail('home', lambda: os.listdir('/root'))\n"
       "expect_fail('home2', lambda: os.listdir('/home'))"},
      {"ReadHostSecretFile", "expect_fail('secret', lambda: open('{SECRET}').read())"},
      {"ReadStoreFile", "expect_fail('store', lambda: open('{STORE}', 'rb').read())"},
      {"ReadOtherSessionWorkspace", "expect_fail('other', lambda: os.listdir('{OTHER}'))"},
      {"WriteOutsideWorkspace",
       "for p in ['/usr/pwned', '/etc/pwned', '/pwned', '/ward/guest/pwned', '/dev/pwned',"
       " '{ESCAPE_DIR}/pwned']:\n"
       "    expect_fail(p, lambda: open(p, 'w').write('x'))"},
      {"SymlinkOutOfWorkspace",
       "os.symlink('{SECRET}', '/workspace/link')\n"
       "expect_fail('symlink', lambda: open('/workspace/link').read())\n"
       "os.symlink('/etc', '/workspace/etc')\n"
       "expect_fail('symlink-etc', lambda: open('/workspace/etc/shadow').read())"},
      {"DotDotOutOfWorkspace",
       "expect_fail('dotdot', lambda: open('/workspace/../../../../../..{SECRET}').read())\n"
       "expect_fail('dotdot2', lambda: os.listdir('../../../../{ESCAPE_DIR}'))"},
      {"ProcOneRoot",
       "expect_fail('proc1root', lambda: open('/proc/1/root{SECRET}').read())\n"
       "expect_true('proc1-is-self', os.getpid() == 1, os.getpid())"},
      {"ProcEnvironOfHostProcesses",
       "found = []\n"
       "for p in os.listdir('/proc'):\n"
       "    if p.isdigit():\n"
       "        try: found.append(open('/proc/%s/environ' % p, 'rb').read())\n"
       "        except Exception: pass\n"
       "expect_true('environ', not any(b'sk-canary' in e for e in found), len(found))\n"
       "expect_true('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == [1],"
       " os.listdir('/proc'))"},
      {"HostEnvironmentApiKeys",
       "expect_true('env', not any('canary' in v for v in os.environ.values()), dict(os.environ))\n"
       "expect_true('env-keys', 'WARD_ESCAPE_API_KEY' not in os.environ)"},
      {"PtraceHostProcess", "expect_fail('ptrace', lambda: libc.ptrace(16, {VICTIM}, 0, 0))"},
      {"SignalHostProcess", "expect_fail('kill', lambda: os.kill({VICTIM}, 9))"},
      {"SeeAnyOtherProcess",
       "seen = [p for p in range(2, 40000) if os.path.exists('/proc/%d' % p)]\n"
       "expect_true('scan', seen == [], seen[:10])"},
      {"ForkBomb",
       "import time\nkids = 0\nwhile True:\n    try:\n        if os.fork() == 0:\n"
       "            time.sleep(100)\n        kids += 1\n    except OSError:\n        break\n"
       "expect_true('forkbomb', kids < 200, kids)",
       Expect::kPrintsContained, 20'000},
      {"MemoryBomb", "x = []\nwhile True:\n    x.append(bytearray(64 << 20))",
       Expect::kMemoryStopped},
      {"FillTmp",
       "def fill():\n    with open('/tmp/big', 'wb') as f:\n"
       "        for _ in range(1024): f.write(b'x' * (1 << 20))\n"
       "expect_fail('filltmp', fill)"},
      {"BusyLoopPastWallLimit", "while True: pass", Expect::kFailure, 1'000},
      {"BackgroundTreeKilledWithGuest",
       "import subprocess\n"
       "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', '{MARKER}'])\n"
       "while True: pass",
       Expect::kFailure, 1'500},
      {"CtypesMount",
       "expect_fail('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))"},
      {"CtypesUnshare",
       "expect_fail('unshare-user', lambda: libc.unshare(0x10000000))\n"
       "expect_fail('unshare-net', lambda: libc.unshare(0x40000000))"},
      {"CtypesCloneNamespaces",
       "expect_fail('clone-newuser', lambda: libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0))"},
      {"CtypesPtraceTraceme", "expect_fail('traceme', lambda: libc.ptrace(0, 0, 0, 0))"},
      {"CtypesSocket", "expect_fail('socket', lambda: libc.socket(2, 1, 0))"},
      {"IoUring",
       "expect_fail('io_uring_setup', lambda: libc.syscall(425, 8, "
       "ctypes.create_string_buffer(120)))"},
      {"Bpf",
       "expect_fail('bpf', lambda: libc.syscall(321, 0, ctypes.create_string_buffer(64), 64))"},
      {"Keyctl",
       "expect_fail('add_key', lambda: libc.syscall(248, b'user', b'k', b'v', 1, -2))\n"
       "expect_fail('keyctl', lambda: libc.syscall(250, 0, -3, 0, 0, 0))"},
      {"PerfEventOpen",
       "expect_fail('perf', lambda: libc.syscall(298, ctypes.create_string_buffer(128), 0, -1, -1, "
       "0))"},
      {"ChrootTricks",
       "os.makedirs('/tmp/jail', exist_ok=True)\n"
       "expect_fail('chroot', lambda: os.chroot('/tmp/jail'))\n"
       "expect_fail('setns', lambda: libc.setns(os.open('/proc/1/ns/net', os.O_RDONLY), 0))"},
      {"InheritedDescriptors",
       "fds = sorted(int(f) for f in os.listdir('/proc/self/fd'))\n"
       "expect_true('fds', [f for f in fds if f > 3] in ([], [max(fds)]), fds)"},
      {"CapabilitiesAndNoNewPrivs",
       "st = dict(l.split(':\\t') for l in open('/proc/self/status').read().splitlines() if ':\\t' "
       "in l)\n"
       "expect_true('caps', st['CapEff'].strip('0') == '' and st['CapBnd'].strip('0') == '', "
       "st['CapEff'])\n"
       "expect_true('nnp', st['NoNewPrivs'].strip() == '1')\n"
       "expect_true('seccomp', st['Seccomp'].strip() == '2')"},
      {"DevicesAndSys",
       "expect_true('dev', sorted(os.listdir('/dev')) == sorted(['null','zero','random','urandom',"
       "'fd','stdin','stdout','stderr']), os.listdir('/dev'))\n"
       "expect_fail('sys', lambda: os.listdir('/sys/fs'))\n"
       "expect_fail('mknod', lambda: os.mknod('/tmp/sda', 0o600 | 0o60000, os.makedev(8, 0)))"},
      {"UidMapIsNotTheHostsRoot",
       "def host_id(path, inner):\n"
       "    for line in open(path).read().splitlines():\n"
       "        a, b, n = (int(x) for x in line.split())\n"
       "        if a <= inner < a + n: return b + inner - a\n"
       "    return None\n"
       "maps = open('/proc/self/uid_map').read().split()\n"
       "expect_true('uid-map-not-identity', maps != ['0', '0', '4294967295'], maps)\n"
       "uid = host_id('/proc/self/uid_map', os.getuid())\n"
       "gid = host_id('/proc/self/gid_map', os.getgid())\n"
       "expect_true('host-uid', uid not in (None, 0), uid)\n"
       "expect_true('host-gid', gid not in (None, 0), gid)"},
      {"WriteProcSys",
       "def rewrite(p):\n"
       "    v = open(p).read()\n"
       "    with open(p, 'w') as f: f.write(v)\n"
       "for p in ['/proc/sys/vm/swappiness', '/proc/sys/kernel/core_pattern',"
       " '/proc/sys/kernel/hostname']:\n"
       "    expect_fail(p, lambda: rewrite(p))\n"
       "def open_for_write(p):\n"
       "    os.close(os.open(p, os.O_WRONLY))\n"
       "expect_fail('sysrq', lambda: open_for_write('/proc/sysrq-trigger'))\n"
       "for p in ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus']:\n"
       "    if os.path.exists(p):\n"
       "        expect_true(p + '-ro', os.statvfs(p).f_flag & os.ST_RDONLY, p)\n"
       "expect_true('no-sys', not os.path.exists('/sys') or"
       " os.statvfs('/sys').f_flag & os.ST_RDONLY)"},
      {"ReadMaskedProc",
       "import stat\n"
       "null = os.stat('/dev/null').st_rdev\n"
       "for p in ['/proc/kcore', '/proc/keys', '/proc/key-users', '/proc/timer_list',"
       " '/proc/sched_debug', '/proc/latency_stats', '/proc/kallsyms', '/proc/kmsg']:\n"
       "    if not os.path.exists(p): continue\n"
       "    st = os.stat(p)\n"
       "    expect_true(p, stat.S_ISCHR(st.st_mode) and st.st_rdev == null, oct(st.st_mode))\n"
       "    expect_true(p + '-empty', open(p, 'rb').read(4096) == b'')\n"
       "for p in ['/proc/acpi', '/proc/scsi', '/proc/asound']:\n"
       "    if os.path.exists(p): expect_true(p, os.listdir(p) == [], os.listdir(p)[:5])"},
      {"SetuidCopyInWorkspace",
       "import shutil, stat\n"
       "shutil.copy(os.path.realpath(sys.executable), '/workspace/py')\n"
       "expect_fail('chmod-4755', lambda: os.chmod('/workspace/py', 0o4755))\n"
       "expect_fail('chmod-2755', lambda: os.chmod('/workspace/py', 0o2755))\n"
       "fd = os.open('/workspace/py', os.O_RDONLY)\n"
       "expect_fail('fchmod', lambda: os.fchmod(fd, 0o6755))\n"
       "expect_fail('fchmodat', lambda: libc.fchmodat(-100, b'/workspace/py', 0o4755, 0))\n"
       "expect_fail('fchmodat2', lambda: libc.syscall(452, -100, b'/workspace/py', 0o4755, 0))\n"
       "def made_with(fn, path):\n"
       "    try: fn()\n"
       "    except OSError: return -1\n"
       "    return 0 if os.stat(path).st_mode & 0o6000 == 0 else 1\n"
       "expect_true('open-creat', made_with(lambda: os.close(os.open('/workspace/o',"
       " os.O_CREAT | os.O_WRONLY, 0o4755)), '/workspace/o') != 1)\n"
       "expect_true('mknod', made_with(lambda: os.mknod('/workspace/n', 0o104755),"
       " '/workspace/n') != 1)\n"
       "expect_true('py-mode', os.stat('/workspace/py').st_mode & 0o6000 == 0)\n"
       "for p in ['/workspace', '/tmp']:\n"
       "    f = os.statvfs(p).f_flag\n"
       "    expect_true(p + '-nosuid-nodev', f & os.ST_NOSUID and f & os.ST_NODEV, f)"},
      {"CloseRpcChannel", "os.close(3)\nimport time\ntime.sleep(0.2)", Expect::kFailure},
      {"OversizedRpcMessage", "os.write(3, b'x' * (9 << 20))\nimport time\ntime.sleep(5)",
       Expect::kFailure},
      {"MalformedRpcMessage", "os.write(3, b'this is not json\\n')\nimport time\ntime.sleep(5)",
       Expect::kFailure},
      {"GuestAborts", "os.abort()", Expect::kFailure},
      {"GuestSegfaults", "ctypes.string_at(0)", Expect::kFailure},
      {"GuestExits", "os._exit(3)", Expect::kFailure},
      {"ForgedDoneMessage",
       "os.write(3, b'{\"t\":\"done\",\"id\":999,\"stdout\":\"forged\"}\\n')\nimport "
       "time\ntime.sleep(5)",
       Expect::kFailure},
  };
  for (auto& attack : a) attack.code = std::string(kPrelude) + attack.code;
  return a;
}

}  // namespace

const std::vector<Attack>& Attacks() {
  static const std::vector<Attack> kAttacks = Build();
  return kAttacks;
}

}  // namespace ward::testing
