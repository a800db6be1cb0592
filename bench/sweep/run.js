#!/usr/bin/env node
// Sweep benchmark: parallel-ssh -p 50 and ansible -m shell -f 50 running the exact command
// lines of diagbot's health plan, side by side with `diagbot sweep`, on the same loopback
// hosts (one sshd listening on 127.0.0.2..127.0.0.N+1, so every tool sees N distinct hosts).
// Usage: node bench/sweep/run.js [--hosts 50,200] [--window 2] [--only pssh,ansible,diagbot]
//        [--shared-home] [--shared-net] [--hosts-cgroup]
// Needs root, openssh-server, pssh, ansible-core, GNU time; run `npm run build` first.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const SIZES = arg("hosts", "50,200").split(",").map(Number);
const WINDOW = Number(arg("window", "2"));
const ONLY = arg("only", "pssh,ansible,diagbot").split(",");
const FORKS = 50;
/** Keep this machine's own root `~/.bashrc` for every host (see HOST_SHELL). */
const SHARED_HOME = process.argv.includes("--shared-home");
/** Hosts on loopback addresses in this machine's network namespace (see hostNetwork). */
const SHARED_NET = process.argv.includes("--shared-net");
/**
 * Every host's sshd (and all it starts) in one cpu cgroup of its own (`--hosts-cgroup`), so
 * that the tools compete with the fleet as one group instead of one group per SSH session.
 * Linux gives each session an autogroup of equal weight (kernel.sched_autogroup_enabled): on
 * one machine, a client is then one share against the hundreds of its hosts' sessions, where
 * on a fleet its CPU is its own. diagbot, one process, waits longest; parallel-ssh's fifty
 * `ssh` also share one session, and its client work is small per event.
 */
const HOSTS_CGROUP = process.argv.includes("--hosts-cgroup");

/** The cpu cgroup folder for the hosts (cgroup v1 `cpu` or the v2 root), made at once. */
function hostsCgroup(tag) {
  const v1 = "/sys/fs/cgroup/cpu";
  const dir = join(existsSync(v1) ? v1 : "/sys/fs/cgroup", `diagbot-bench-hosts-${tag}`);
  mkdirSync(dir);
  return dir;
}

/** The command lines diagbot runs for `health` on a root host: recorded from its own collect(). */
async function healthCommands() {
  const { collect } = await import(join(ROOT, "dist/engine/collect.js"));
  const { plan } = await import(join(ROOT, "dist/engine/plan.js"));
  const { COLLECTORS } = await import(join(ROOT, "dist/sources/collectors.js"));
  const commands = [];
  const recorder = {
    host: "record",
    root: true,
    maxSessions: 64,
    exec: async (command) => {
      commands.push(command);
      return {
        stdout: Buffer.alloc(0),
        stderr: Buffer.alloc(0),
        exitCode: 0,
        timedOut: false,
        truncated: false,
        durationMs: 0,
      };
    },
    close: async () => {},
  };
  const collectors = plan(COLLECTORS, "health", { deep: false, hasPids: false });
  await collect(recorder, collectors, { windowSeconds: WINDOW, pids: [], sudo: false });
  return commands;
}

/**
 * Each sshd is one "host" in namespaces of its own (unshare(1)), so that what a host reads of
 * itself is its own, as on a fleet, and not the sum of every loopback host:
 *   - a PID namespace with its own /proc: `top`, `lsof` and the /proc/PID scans see that
 *     host's processes only, where otherwise each of N hosts walks all N hosts' processes;
 *   - a mount namespace where root's `~/.bashrc` is Debian's stock one (base-files'
 *     dot.bashrc): this machine's runs `pyenv init`, whose `pyenv rehash` takes a lock in
 *     ~/.pyenv and waits for it in 0.1 s sleeps, so N logins at once queue on one lock that
 *     no two real hosts share;
 *   - and its own /tmp (a tmpfs), where diagbot keeps a run's files in folders named by PID,
 *     which hosts in PID namespaces of their own would otherwise share. The bench's own files
 *     are in /var/tmp, where every host reads them.
 * With `--shared-home`, every host keeps this machine's own processes view and `.bashrc`.
 * Each host also has a network namespace of its own (hostNetwork), unless `--shared-net`.
 */
const HOST_SHELL = [
  "mount -t tmpfs -o mode=1777 diagbot-bench-tmp /tmp",
  "if [ -r /usr/share/base-files/dot.bashrc ] && [ -e /root/.bashrc ]; then",
  "  mount --bind /usr/share/base-files/dot.bashrc /root/.bashrc",
  "fi",
  'exec /usr/sbin/sshd -D -f "$1"',
].join("\n");

/** argv that starts one sshd with `config`, as a host of its own unless `--shared-home`. */
function sshdArgv(config, netns, cgroup) {
  const inCgroup = cgroup ? ["sh", "-c", 'echo $$ >"$0/cgroup.procs" && exec "$@"', cgroup] : [];
  const inNet = [...inCgroup, ...(netns ? ["ip", "netns", "exec", netns] : [])];
  if (SHARED_HOME) return [...inNet, "/usr/sbin/sshd", "-D", "-f", config];
  return [
    ...inNet,
    "unshare",
    "--mount",
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child=SIGTERM",
    "sh",
    "-c",
    HOST_SHELL,
    "sh",
    config,
  ];
}

/**
 * Each host's network: a namespace of its own (`ip netns`), joined to this machine by a veth
 * pair on one bridge, so that `ss`, `netstat` and /proc/net list that host's sockets only (its
 * sshd and the sweep's connection), as on a fleet. On loopback in one namespace, each of N
 * hosts lists every host's connections, and the outputs, and the cost of parsing them, grow
 * with the fleet. Returns each host's address and namespace, and a function that removes
 * them all. With `--shared-net`: loopback addresses 127.0.0.2 onwards, no namespace.
 */
function hostNetwork(count, tag) {
  if (SHARED_NET) {
    const hosts = Array.from({ length: count }, (_, i) => ({ address: `127.0.0.${i + 2}` }));
    return { hosts, remove: () => {} };
  }
  const bridge = `dbb${tag}`;
  const ip = (...args) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "inherit"] });
  ip("link", "add", bridge, "type", "bridge");
  ip("addr", "add", "10.231.0.1/16", "dev", bridge);
  ip("link", "set", bridge, "up");
  const hosts = Array.from({ length: count }, (_, i) => {
    const netns = `diagbot-bench-${tag}-${i}`;
    const address = `10.231.${(i + 2) >> 8}.${(i + 2) & 255}`;
    const veth = `dbv${tag}x${i}`;
    ip("netns", "add", netns);
    ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns);
    ip("link", "set", veth, "master", bridge, "up");
    ip("-n", netns, "link", "set", "lo", "up");
    ip("-n", netns, "addr", "add", `${address}/16`, "dev", "eth0");
    ip("-n", netns, "link", "set", "eth0", "up");
    return { address, netns };
  });
  const remove = () => {
    for (const h of hosts) spawnSync("ip", ["netns", "del", h.netns]);
    spawnSync("ip", ["link", "del", bridge]);
  };
  return { hosts, remove };
}

function startSshd(dir, count) {
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation folder
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "client_key")]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_key.pub")));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const network = hostNetwork(count, String(port % 10000));
  const cgroup = HOSTS_CGROUP ? hostsCgroup(String(port)) : undefined;
  const addresses = network.hosts.map((h) => h.address);
  // One sshd per host, each in namespaces of its own (sshdArgv).
  const children = addresses.map((address, i) => {
    const config = join(dir, `sshd_config-${i}`);
    const lines = [
      `ListenAddress ${address}:${port}`,
      `HostKey ${join(dir, "host_key")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "MaxSessions 64",
      "MaxStartups 1000:30:2000",
      `PidFile ${join(dir, `sshd-${i}.pid`)}`,
    ];
    writeFileSync(config, `${lines.join("\n")}\n`);
    const [command, ...args] = sshdArgv(config, network.hosts[i].netns, cgroup);
    return spawn(command, args, { stdio: "ignore" });
  });
  const key = readFileSync(join(dir, "host_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  writeFileSync(join(dir, "known_hosts"), addresses.map((a) => `[${a}]:${port} ${key}\n`).join(""));
  // A cgroup folder goes once its processes have: rmdir(2) of an empty one.
  const removeCgroup = () => cgroup && spawnSync("sh", ["-c", `sleep 1; rmdir "${cgroup}"`]);
  return { children, port, addresses, removeNetwork: network.remove, removeCgroup };
}

/** Resolves once address:port answers with an SSH banner (60 s at most). */
async function waitForBanner(host, port) {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const sock = createConnection({ host, port });
      sock.once("data", (b) => {
        sock.destroy();
        resolve(b.toString().startsWith("SSH-"));
      });
      // Closed without a banner, or silent for 5 s: not ready yet, try again.
      sock.setTimeout(5000, () => sock.destroy());
      sock.on("error", () => {});
      sock.once("close", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`sshd did not answer on ${host}:${port}`);
}

/** Runs argv under GNU time -v; returns wall s, CPU s (user+sys, children included), peak RSS MB. */
function timed(argv, env = {}) {
  const out = spawnSync("/usr/bin/time", ["-v", ...argv], {
    env: { ...process.env, ...env },
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const field = (name) => out.stderr.match(new RegExp(`${name}: (.+)`))?.[1] ?? "";
  const clock = field("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)").split(":").map(Number);
  const wall = clock.reduce((s, x) => s * 60 + x, 0);
  const cpu = Number(field("User time \\(seconds\\)")) + Number(field("System time \\(seconds\\)"));
  const rssMb = Number(field("Maximum resident set size \\(kbytes\\)")) / 1024;
  return { wall, cpu, rssMb, stdout: out.stdout, status: out.status };
}

function dirBytes(dir) {
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

async function main() {
  const script = (await healthCommands()).map((c) => `( ${c} ) &`).join("\n") + "\nwait\n";
  const rows = [];
  for (const n of SIZES) {
    const dir = mkdtempSync(join("/var/tmp", "diagbot-bench-sweep-"));
    const sshd = startSshd(dir, n);
    for (const a of sshd.addresses) await waitForBanner(a, sshd.port);
    const key = join(dir, "client_key");
    const kh = join(dir, "known_hosts");
    writeFileSync(join(dir, "health.sh"), script);
    const remote = `sh ${join(dir, "health.sh")}`; // same machine: the script file is readable remotely
    if (ONLY.includes("pssh")) {
      writeFileSync(
        join(dir, "pssh-hosts"),
        sshd.addresses.map((a) => `root@${a}:${sshd.port}\n`).join(""),
      );
      const outDir = join(dir, "pssh-out");
      const r = timed([
        "parallel-ssh",
        "-p",
        String(FORKS),
        "-t",
        "300",
        "-h",
        join(dir, "pssh-hosts"),
        "-o",
        outDir,
        "-x",
        `-i ${key} -o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
        remote,
      ]);
      const ok = (r.stdout.match(/\[SUCCESS\]/g) ?? []).length;
      rows.push({
        tool: "parallel-ssh -p 50",
        n,
        ...r,
        answered: ok,
        bytesPerHost: dirBytes(outDir) / n,
      });
    }
    if (ONLY.includes("ansible")) {
      const inv = sshd.addresses
        .map(
          (a, i) =>
            `h${i} ansible_host=${a} ansible_port=${sshd.port} ansible_user=root ansible_ssh_private_key_file=${key} ansible_ssh_common_args='-o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes'`,
        )
        .join("\n");
      writeFileSync(join(dir, "ansible.ini"), `[fleet]\n${inv}\n`);
      const r = timed(
        [
          "ansible",
          "fleet",
          "-i",
          join(dir, "ansible.ini"),
          "-m",
          "shell",
          "-a",
          remote,
          "-f",
          String(FORKS),
          "-o",
        ],
        {
          ANSIBLE_HOST_KEY_CHECKING: "True",
          ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
          ANSIBLE_LOCALHOST_WARNING: "False",
        },
      );
      const ok = (r.stdout.match(/ \| (CHANGED|SUCCESS)/g) ?? []).length;
      rows.push({
        tool: "ansible -m shell -f 50",
        n,
        ...r,
        answered: ok,
        bytesPerHost: Buffer.byteLength(r.stdout) / n,
      });
    }
    if (ONLY.includes("diagbot")) {
      const hosts = sshd.addresses.map((a, i) => `  h${i}: { address: ${a} }`).join("\n");
      const inv = join(dir, "inventory.yaml");
      writeFileSync(
        inv,
        `defaults:\n  user: root\n  port: ${sshd.port}\n  identityFile: ${key}\n  knownHosts: ${kh}\n  maxSessions: 10\nhosts:\n${hosts}\n`,
      );
      const r = timed(
        [
          process.execPath,
          join(ROOT, "bin/diagbot.js"),
          "sweep",
          "all",
          "--json",
          "--concurrency",
          String(FORKS),
          "--window",
          `${WINDOW}s`,
        ],
        { DIAGBOT_INVENTORY: inv },
      );
      const json = JSON.parse(r.stdout);
      // Bytes read per host: the outputs of one host's collection, saved as a bundle.
      const bundle = join(dir, "bundle");
      spawnSync(
        process.execPath,
        [
          join(ROOT, "bin/diagbot.js"),
          "diagnose",
          "h0",
          "--save",
          bundle,
          "--window",
          `${WINDOW}s`,
          "--json",
        ],
        { env: { ...process.env, DIAGBOT_INVENTORY: inv }, stdio: "ignore" },
      );
      const bytes = readdirSync(bundle)
        .filter((f) => f.endsWith(".out") || f.endsWith(".err"))
        .reduce((s, f) => s + statSync(join(bundle, f)).size, 0);
      rows.push({
        tool: "diagbot sweep --concurrency 50",
        n,
        ...r,
        answered: json.summary.ok,
        bytesPerHost: bytes,
      });
    }
    // unshare --fork ignores SIGTERM while it waits; killed, it ends its sshd (--kill-child),
    // and with the namespace's first process every process of that host.
    for (const c of sshd.children) c.kill(SHARED_HOME ? "SIGTERM" : "SIGKILL");
    sshd.removeNetwork();
    sshd.removeCgroup();
    rmSync(dir, { recursive: true, force: true });
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `window ${WINDOW} s; hosts ${HOSTS_CGROUP ? "in one cpu cgroup" : "one autogroup per session"}; load average at the end: ${load}`,
  );
  console.log(
    "| tool | hosts | answered | wall s | CPU s | peak RSS MB | bytes read/host | wall ms/host | CPU ms/host |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.tool} | ${r.n} | ${r.answered} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${r.rssMb.toFixed(0)} | ${Math.round(r.bytesPerHost)} | ${Math.round((r.wall * 1000) / r.n)} | ${Math.round((r.cpu * 1000) / r.n)} |`,
    );
  }
}

await main();
