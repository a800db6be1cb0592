import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redactText } from "../../src/redact/index.js";
import { runCli } from "../helpers/cli.js";

/**
 * The control corpus: ordinary output holds no secret and comes out of the redactor byte for
 * byte: iostat rows, kernel messages with hex addresses and hashes, UUIDs, SHA-256 sums,
 * counters, device names, long hex, git SHAs in `uname -a`, sysctl names with `secret` and
 * `cookie` in them, environment dumps with PWD, and every collector output the repository's
 * fixtures and the shared corpus of real outputs hold.
 */
const LINES = [
  "Device            r/s     w/s     rkB/s     wkB/s   rrqm/s   wrqm/s  %rrqm  %wrqm r_await w_await aqu-sz rareq-sz wareq-sz  svctm  %util",
  "nvme0n1        152.00  418.00   6080.00  33440.00     0.00    12.00   0.00   2.79    0.41    1.12   0.53    40.00    80.00   0.21  12.00",
  "dm-0             0.00    3.00      0.00     12.00     0.00     0.00   0.00   0.00    0.00    0.33   0.00     0.00     4.00   0.33   0.10",
  "[ 1234.567890] BUG: unable to handle page fault for address: ffff9e8a4c3b2000",
  "[ 1234.567901] RIP: 0010:__kmalloc+0x12f/0x3a0 Code: 48 8b 45 00 <48> 8b 40 08",
  "[ 1234.568000] RSP: 0018:ffffb2c0c0a3fcd8 EFLAGS: 00010246 RAX: 0000000000000000",
  "[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
  "[    2.113000] EXT4-fs (nvme0n1p2): mounted filesystem 2b5c1f0e-6d0a-4c55-9a7e-3f1e2d4c5b6a with ordered data mode. Quota mode: none.",
  "[    3.000100] Key type dns_resolver registered",
  "[    3.100200] Loaded X.509 cert 'Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1'",
  "[    3.200300] integrity: Loaded X.509 cert 'Debian Secure Boot Signer 2022 - linux: 14011249c2675ea8e5148542202005810584b25f'",
  "[ 9811.000001] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:443. Sending cookies.  Check SNMP counters.",
  '[ 9812.000002] audit: type=1400 audit(1765000000.123:45): apparmor="DENIED" operation="open" profile="snap.x" name="/proc/1/environ" pid=912 comm="x" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /var/lib/app/empty.bin",
  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  -",
  "Linux build-7 6.8.0-rc3-00042-g1f3a5b7c9d2e #17 SMP PREEMPT_DYNAMIC Tue Feb  6 10:11:12 UTC 2024 x86_64 GNU/Linux",
  "Linux web-1 5.15.0-1051-aws #56~20.04.1-Ubuntu SMP Tue Nov 28 15:43:31 UTC 2023 aarch64 aarch64 aarch64 GNU/Linux",
  "boot_id 5a4f0c1e-8b7d-4e3f-9a2b-1c0d9e8f7a6b machine-id 0a1b2c3d4e5f60718293a4b5c6d7e8f9",
  "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 (HEAD -> main, origin/main)",
  "net.ipv4.ipfrag_secret_interval = 600",
  "net.netfilter.nf_conntrack_sctp_timeout_cookie_wait = 3",
  "net.bridge.bridge-nf-pass-vlan-input-dev = 0",
  "net.ipv4.tcp_syncookies = 1",
  "kernel.random.boot_id = 5a4f0c1e-8b7d-4e3f-9a2b-1c0d9e8f7a6b",
  "PWD=/srv/app",
  "OLDPWD=/home/app",
  "SSH_AUTH_SOCK=/tmp/ssh-XXXXdC2a/agent.1234",
  "XAUTHORITY=/run/user/1000/gdm/Xauthority",
  "GPG_KEY_FILE=/etc/apt/keyrings/docker.gpg",
  "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND",
  " 4242 postgres  20   0 2241868 412332 401220 S  12.3   2.6  10:21.33 postgres: 15/main: app orders 10.0.0.7(51234) SELECT",
  "root         812  0.0  0.0  15420  6900 ?        Ss   Dec06   0:00 sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
  "app         9001  3.1  1.2 812344 201220 ?       Sl   09:14   1:02 java -Xmx4g -XX:+UseG1GC -jar /opt/app/app.jar --server.port=8080 --max-tokens 4096",
  "app         9002  0.0  0.1  22000  9000 ?        S    09:14   0:00 docker run -u 1000:1000 -p 8080:80 --name web nginx:1.25",
  "app         9003  0.0  0.1  22000  9000 ?        S    09:14   0:00 mysqld --user=mysql --pid-file=/run/mysqld/mysqld.pid --port=3306",
  "app         9004  0.0  0.1  22000  9000 ?        S    09:14   0:00 psql --password -h db-1 -U app orders",
  "app         9005  0.0  0.1  22000  9000 ?        S    09:14   0:00 /usr/bin/vault server -config=/etc/vault.d/vault.hcl",
  "postgres://db-1.internal:5432/orders http://127.0.0.1:8080/health https://[::1]:8443/x",
  "TCP 10.0.0.5:22->10.0.0.9:51234 (ESTABLISHED)",
  "sshd    812 root    3u  IPv4  21322      0t0  TCP *:ssh (LISTEN)",
  "nginx  1201 www-data  12u  IPv4 0x9f3c2a1b4d5e6f70      0t0  TCP 10.0.0.5:443->10.0.0.9:50122 (ESTABLISHED)",
  "Ip: Forwarding 1 DefaultTTL 64 InReceives 182733201 InHdrErrors 0 InAddrErrors 12",
  "ctxt 98123123123 btime 1765000000 processes 4123123 procs_running 3",
  "deadbeefcafebabe0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
];

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const s = statSync(path);
    return s.isDirectory() ? filesUnder(path) : s.isFile() ? [path] : [];
  });
}

/** The shared corpus of real outputs, beside the repository when it is there. */
const SHARED = new URL("../../../shared/corpus", import.meta.url).pathname;
const OUTPUTS = [
  ...filesUnder(new URL("../fixtures", import.meta.url).pathname).filter(
    (f) =>
      !f.includes("/redaction/") &&
      !f.includes("/runbooks/") &&
      !f.includes("/inventory/") &&
      // Inventories are configuration, where an `ansible_password=` is meant to be redacted.
      !f.includes("/inventories/"),
  ),
  ...(existsSync(SHARED) ? filesUnder(SHARED) : []),
];

describe("control corpus", () => {
  it("ordinary lines stay byte-identical", () => {
    for (const line of LINES) expect(redactText(line)).toMatchObject({ text: line, count: 0 });
  });

  it(`${OUTPUTS.length} real collector outputs stay byte-identical`, () => {
    expect(OUTPUTS.length).toBeGreaterThan(300);
    const changed: string[] = [];
    for (const file of OUTPUTS) {
      const text = readFileSync(file).toString("latin1");
      if (redactText(text).text !== text) changed.push(file);
    }
    expect(changed).toEqual([]);
  });

  it("diagbot redact passes ordinary output through byte for byte", async () => {
    const input = LINES.join("\n");
    const r = await runCli(["redact"], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(input);
    expect(r.stderr).toBe("diagbot redact: 0 values replaced\n");
  });
});
