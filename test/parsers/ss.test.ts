import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { linesOf } from "../../src/parsers/lines.js";
import { bitsPerSecond, parseSs, splitEndpoint, timerMs } from "../../src/parsers/ss.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { runCli } from "../helpers/cli.js";
import { fixturePath, parseFixture, parseText } from "../helpers/fixtures.js";

const JC = "/usr/bin/jc";
const hasJc = existsSync(JC);

const find = (
  sockets: ReturnType<typeof parseSs>["facts"]["sockets"],
  local: string,
  port: number | string,
) =>
  sockets.find(
    (s) => s.local_address === local && (s.local_port === port || s.local_port_name === port),
  );

describe("ss parser: listeners (ss-listen fixtures)", () => {
  it("reads old iproute2 -tulpn with both users:() formats (insights-core Ss_TULPN)", () => {
    const { facts, problems } = parseFixture(
      parseSs,
      "ss-listen/insights-core__test_netstat__Ss_TULPN.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.total).toBe(13);
    expect(facts.by_state).toEqual({ UNCONN: 6, LISTEN: 7 });
    const qemu = find(facts.sockets, "10.72.32.206", 5900)!;
    expect(qemu).toMatchObject({ netid: "tcp", state: "LISTEN", recv_q: 0, send_q: 1 });
    expect(qemu.process).toEqual([{ name: "qemu-kvm", pid: 9787, fd: 20 }]);
    // Old-style users:(("sshd",1231,3)).
    expect(find(facts.sockets, "*", 22)!.process).toEqual([{ name: "sshd", pid: 1231, fd: 3 }]);
    // `:::37968` is the IPv6 wildcard with port 37968; the peer has port 12345.
    expect(find(facts.sockets, "::", 37968)).toMatchObject({
      peer_address: "::",
      peer_port: 12345,
    });
    const master = facts.listeners.find((l) => l.local_port === 25)!;
    expect(master).toMatchObject({ local_address: "127.0.0.1", recv_q: 0, backlog: 100 });
  });

  it("reads the wide layout with many processes per socket (jc generic ss-wide)", () => {
    const { facts, problems } = parseFixture(parseSs, "ss-listen/jc__generic__ss-wide.out.txt");
    expect(problems).toEqual([]);
    expect(facts.by_netid).toEqual({ udp: 126, tcp: 29 });
    const smtp = find(facts.sockets, "0.0.0.0", 587)!;
    expect(smtp.send_q).toBe(100);
    expect(smtp.process?.map((p) => p.name)).toEqual(["master", "smtpd", "smtpd", "smtpd"]);
    expect(smtp.process?.[0]).toEqual({ name: "master", pid: 1978854, fd: 86 });
    expect(smtp).toMatchObject({
      ino: 815320090,
      sk: "2005",
      cgroup: "/system.slice/system-postfix.slice/postfix@-.service",
      shutdown: "<->",
    });
    const ntp = find(facts.sockets, "fe80::9cc5:aeff:fec5:34ae", 123)!;
    expect(ntp).toMatchObject({
      local_scope: "eth0",
      peer_address: "::",
      v6only: 1,
      ino: 165920499,
    });
    expect(find(facts.sockets, "*", 6556)).toMatchObject({
      state: "LISTEN",
      send_q: 64,
      v6only: 0,
    });
  });

  it("reads -tulpen with uid, ino, sk and %iface scopes (jc ubuntu-18.04)", () => {
    const { facts, problems } = parseFixture(
      parseSs,
      "ss-listen/jc__ubuntu-18.04__ss-sudo-tulpen.out.txt",
    );
    expect(problems).toEqual([]);
    const resolvedTcp = facts.sockets.find(
      (s) => s.netid === "tcp" && s.local_port === 53 && s.local_scope === "lo",
    )!;
    expect(resolvedTcp).toMatchObject({
      local_address: "127.0.0.53",
      send_q: 128,
      uid: 101,
      ino: 29401,
      sk: "2e",
    });
    const node = find(facts.sockets, "0.0.0.0", 9100)!;
    expect(node.process).toEqual([{ name: "prometheus-node", pid: 1419, fd: 3 }]);
    expect(node.uid).toBe(128);
    const apache = find(facts.sockets, "0.0.0.0", 80)!;
    expect(apache.send_q).toBe(511);
    expect(apache.process).toHaveLength(7);
    expect(apache.process?.[0]).toEqual({ name: "/usr/sbin/apach", pid: 24795, fd: 3 });
    // The first line has no process: only ino, sk and the shutdown arrows.
    expect(facts.sockets[0]).toMatchObject({ netid: "udp", local_port: 4789, ino: 58296, sk: "1" });
    expect(facts.sockets[0].process).toBeUndefined();
  });

  it("reads new iproute2 -ltn without Netid (vm-debian12, one listener)", () => {
    const { facts, problems } = parseFixture(parseSs, "ss-listen/vm-debian12-k6.18__ss-ltn.txt");
    expect(problems).toEqual([]);
    expect(facts.listeners).toEqual([
      { local_address: "0.0.0.0", local_port: 2024, recv_q: 0, backlog: 128, queue_pct: 0 },
    ]);
    expect(facts.sockets[0].netid).toBeUndefined();
  });

  it("reads the collector's own ss -ltn on this VM, IPv6 included (vm-debian12 services)", () => {
    const { facts, problems } = parseFixture(
      parseSs,
      "ss-listen/vm-debian12-k6.18__ss-ltn-services.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.listeners).toHaveLength(11);
    expect(facts.listeners.find((l) => l.local_port === 5432)?.backlog).toBe(244);
    expect(facts.listeners.find((l) => l.local_port === 3306)?.backlog).toBe(80);
    const v6 = facts.listeners.filter((l) => l.local_address === "::1").map((l) => l.local_port);
    expect(v6).toEqual([4369, 6379]);
    expect(facts.listeners_full).toBe(0);
  });
});

describe("ss parser: socket tables (ss-tcp fixtures)", () => {
  it("reads old iproute2 without Netid and with *:* peers (DataDog ss_ipv4_tcp)", () => {
    const { facts } = parseFixture(
      parseSs,
      "ss-tcp/dd-integrations__network_tests_fixtures_ss_ipv4_tcp.txt",
    );
    expect(facts.by_state).toEqual({ LISTEN: 2, "TIME-WAIT": 2, ESTAB: 1 });
    expect(facts.sockets[2]).toMatchObject({
      state: "TIME-WAIT",
      local_address: "10.0.2.15",
      local_port: 38756,
      peer_address: "203.0.113.10",
      peer_port: 80,
    });
    expect(find(facts.sockets, "*", 6384)).toMatchObject({ send_q: 128, peer_address: "*" });
    expect(facts.sockets[3].peer_port).toBe(49936);
  });

  it("reads -tupna with %iface and bracketed IPv6 (insights-core SS_TUPNA_2)", () => {
    const { facts } = parseFixture(parseSs, "ss-tcp/insights-core__test_netstat__SS_TUPNA_2.txt");
    expect(find(facts.sockets, "0.0.0.0", 67)).toMatchObject({
      local_scope: "virbr0",
      netid: "udp",
    });
    expect(find(facts.sockets, "0.0.0.0", 59774)).toMatchObject({ recv_q: 34560, send_q: 2560 });
    expect(find(facts.sockets, "::1", 631)).toMatchObject({
      state: "LISTEN",
      send_q: 5,
      peer_address: "::",
    });
    const firefox = facts.sockets.filter((s) => s.process?.[0]?.name === "firefox");
    expect(firefox.map((s) => s.process?.[0]?.fd)).toEqual([213, 55, 180]);
    expect(facts.by_state["TIME-WAIT"]).toBe(3);
  });

  it("reads RHEL 6 -tupna with old users:() (insights-core Ss_TUPNA)", () => {
    const { facts } = parseFixture(parseSs, "ss-tcp/insights-core__test_netstat__Ss_TUPNA.txt");
    expect(facts.total).toBe(15);
    expect(find(facts.sockets, "192.168.0.106", 22)).toMatchObject({
      state: "ESTAB",
      peer_address: "192.168.0.101",
      peer_port: 59232,
      process: [{ name: "sshd", pid: 11427, fd: 3 }],
    });
    expect(find(facts.sockets, "::1", 25)?.process).toEqual([
      { name: "master", pid: 1326, fd: 14 },
    ]);
    expect(find(facts.sockets, "192.168.0.106", 739)?.peer_port).toBe(2049);
  });

  it("reads ss -a with netlink, packet, unix and raw sockets (jc centos-7.7)", () => {
    const { facts, problems } = parseFixture(parseSs, "ss-tcp/jc__centos-7.7__ss-sudo-a.out.txt");
    expect(problems).toEqual([]);
    expect(facts.sockets[0]).toMatchObject({
      netid: "nl",
      state: "UNCONN",
      recv_q: 768,
      local_address: "rtnl",
      local_port_name: "dockerd-current/1220",
      peer_address: "*",
    });
    const docker = facts.sockets.find((s) => s.local_address === "/var/run/docker.sock")!;
    expect(docker).toMatchObject({
      netid: "u_str",
      state: "LISTEN",
      send_q: 128,
      local_port: 22040,
    });
    expect(docker.peer_port).toBe(0);
    expect(facts.sockets.find((s) => s.netid === "raw")).toMatchObject({
      local_address: "::",
      local_port_name: "ipv6-icmp",
    });
    expect(find(facts.sockets, "::1", "ssh")).toMatchObject({ state: "ESTAB", peer_port: 38134 });
    expect(facts.by_netid.tcp).toBe(6);
  });

  it("reads ss -a with vsock and icmp6 (jc ubuntu-18.04)", () => {
    const { facts, problems } = parseFixture(parseSs, "ss-tcp/jc__ubuntu-18.04__ss-sudo-a.out.txt");
    expect(problems).toEqual([]);
    expect(facts.sockets.find((s) => s.netid === "v_str")).toMatchObject({
      state: "ESTAB",
      local_address: "999900439",
      local_port: 1023,
      peer_address: "0",
      peer_port: 976,
    });
    expect(facts.sockets.find((s) => s.netid === "icmp6")).toMatchObject({
      local_address: "*",
      local_scope: "ens33",
      local_port_name: "ipv6-icmp",
    });
    expect(facts.sockets.find((s) => s.netid === "p_raw")).toMatchObject({
      local_address: "LLDP",
      local_port_name: "ens33",
    });
    expect(find(facts.sockets, "/run/udev/control", 20699)).toMatchObject({
      netid: "u_seq",
      send_q: 128,
    });
  });

  it("accepts a header with no socket as valid, empty output (telegraf tcp_no_sockets)", () => {
    const { facts, problems } = parseFixture(
      parseSs,
      "ss-tcp/telegraf__socketstat__tcp_no_sockets.txt",
    );
    expect(facts.total).toBe(0);
    expect(facts.sockets).toEqual([]);
    expect(facts.listeners).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("folds every -i field into its socket, one row per socket (telegraf tcp_traffic)", () => {
    const { facts } = parseFixture(parseSs, "ss-tcp/telegraf__socketstat__tcp_traffic.txt");
    expect(facts.total).toBe(3);
    const first = facts.sockets[0];
    expect(first).toMatchObject({
      local_address: "192.168.1.21",
      local_port: 6514,
      peer_port: 443,
    });
    expect(first.info).toMatchObject({
      cong_alg: "cubic",
      snd_wscale: 7,
      rcv_wscale: 7,
      rto_ms: 204,
      rtt_ms: 0.057,
      rttvar_ms: 0.033,
      mss: 22976,
      bytes_received: 532644751,
      send_bps: 32247.0e6,
      lastsnd_ms: 299082764,
      minrtt_ms: 0.047,
    });
    const third = facts.sockets[2].info!;
    expect(third).toMatchObject({
      retrans: 0,
      retrans_total: 1,
      pacing_rate_bps: 654.4e6,
      ato_ms: 44,
    });
    expect(third.rcv_rtt_ms).toBe(129800);
    expect(facts.tcp_info).toEqual({
      sockets: 3,
      retrans_total: 1,
      sockets_with_retrans: 1,
      lost: 0,
    });
  });

  it("reads the collector's ss -tani with numeric bps and bbr:() (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseSs, "ss-tcp/vm-debian12-k6.18__ss-tani.txt");
    expect(problems).toEqual([]);
    expect(facts.by_state).toEqual({ LISTEN: 11, "TIME-WAIT": 2, ESTAB: 6 });
    const redisClient = find(facts.sockets, "127.0.0.1", 40012)!;
    expect(redisClient.recv_q).toBe(7);
    expect(redisClient.info).toMatchObject({
      cong_alg: "bbr",
      snd_wscale: 10,
      rtt_ms: 0.032,
      rttvar_ms: 0.018,
      cwnd: 11,
      bbr_bw_bps: 26214390624,
      bbr_mrtt_ms: 0.01,
      bbr_pacing_gain: 2.88672,
      send_bps: 90112000000,
      pacing_rate_bps: 207930894200,
      delivery_rate_bps: 26214400000,
      delivered: 2,
      app_limited: true,
      snd_wnd: 65536,
    });
    // The TIME-WAIT sockets' detail lines hold only blanks.
    expect(find(facts.sockets, "127.0.0.1", 57578)?.info).toBeUndefined();
    const pg = facts.sockets.find((s) => s.local_port === 40050)!;
    expect(pg.info).toMatchObject({
      bytes_acked: 1,
      bbr_bw_bps: 0,
      bbr_cwnd_gain: 1,
      snd_wnd: 65483,
    });
  });

  it("reads -tanpe: users, timers and -e fields on the socket line (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseSs, "ss-tcp/vm-debian12-k6.18__ss-tanpe.txt");
    expect(problems).toEqual([]);
    const pg = find(facts.sockets, "127.0.0.1", 5432)!;
    expect(pg.process).toEqual([{ name: "postgres", pid: 2178, fd: 5 }]);
    expect(pg).toMatchObject({ uid: 101, ino: 4201, sk: "4", cgroup: "/" });
    const server = facts.sockets.find((s) => s.local_port === 6379 && s.state === "ESTAB")!;
    expect(server.info).toEqual({
      timer_name: "keepalive",
      timer_expires_ms: 4 * 60000 + 58000,
      timer_retrans: 0,
    });
    const tw = facts.sockets.find((s) => s.state === "TIME-WAIT")!;
    expect(tw.info).toMatchObject({ timer_name: "timewait", timer_expires_ms: 17000 });
    expect(tw).toMatchObject({ ino: 0, sk: "10" });
    expect(facts.tcp_info).toBeUndefined();
  });

  it("reads a pasted CLOSE-WAIT socket with its -i line and no header (scenario 14)", () => {
    const { facts, problems } = parseFixture(
      parseSs,
      "ss-tcp/scenario-14__haproxy-issue-136__ss-i.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.sockets).toHaveLength(1);
    expect(facts.sockets[0]).toMatchObject({
      netid: "tcp",
      state: "CLOSE-WAIT",
      recv_q: 13340,
      send_q: 0,
      local_address: "192.0.2.1",
      local_port_name: "http",
      peer_port: 49738,
    });
    expect(facts.sockets[0].info).toMatchObject({
      rto_ms: 212,
      rtt_ms: 9.204,
      bytes_received: 404119,
      send_bps: 12.6e6,
      pacing_rate_bps: 25.2e6,
      lastrcv_ms: 369996,
      rcv_space: 28960,
    });
    expect(facts.by_state).toEqual({ "CLOSE-WAIT": 1 });
    expect(facts.recv_q_bytes_total).toBe(13340);
  });
});

describe("ss parser: variants and edge cases", () => {
  it("computes the listener queue against the backlog, and the worst listener", () => {
    const { facts } = parseText(
      parseSs,
      [
        "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
        "LISTEN 0      128          0.0.0.0:22        0.0.0.0:*",
        "LISTEN 512    511          0.0.0.0:3000      0.0.0.0:*",
        "LISTEN 100    4096               *:80              *:*",
        "SYN-RECV 0    0        10.0.0.1:80     198.18.0.1:1111",
        "SYN-RECV 0    0        10.0.0.1:80     198.18.0.2:2222",
        "SYN-RECV 0    0        10.0.0.1:80     198.18.0.2:3333",
        "",
      ].join("\n"),
    );
    expect(facts.worst_listener).toMatchObject({ local_port: 3000, recv_q: 512, backlog: 511 });
    expect(facts.worst_listener?.queue_pct).toBeCloseTo(100.2, 1);
    expect(facts.listeners_full).toBe(1);
    expect(facts.syn_recv_peers).toBe(2);
  });

  it("reads a hidden State column (ss -tn state established)", () => {
    const { facts } = parseText(
      parseSs,
      "Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n0      36     10.0.0.5:22  10.0.0.9:50514\n",
    );
    expect(facts.sockets[0]).toEqual({
      recv_q: 0,
      send_q: 36,
      local_address: "10.0.0.5",
      local_port: 22,
      peer_address: "10.0.0.9",
      peer_port: 50514,
    });
  });

  it("keeps process names with blanks, mapped IPv4 and skmem/timer/rates fields", () => {
    const { facts } = parseText(
      parseSs,
      [
        'tcp ESTAB 0 0 [::ffff:10.1.2.3]:80 [::ffff:10.9.8.7]:41000 users:(("Web Content",pid=77,fd=9)) timer:(on,3.210ms,2)',
        "\t skmem:(r0,rb131072,t0,tb87040,f0,w0,o0,bl0,d3) ts sack cubic wscale:7,7 rto:204 rtt:0.5/0.25 ato:40 mss:1448 cwnd:10 retrans:0/3 lost:2 send 231.7Mbps pacing_rate 463.3Mbps/1.2Gbps busy:10ms rwnd_limited:12ms(1.2%) bytes_acked:1234 tcp-ulp-tls",
      ].join("\n"),
    );
    const s = facts.sockets[0];
    expect(s).toMatchObject({ local_address: "::ffff:10.1.2.3", local_port: 80, peer_port: 41000 });
    expect(s.process).toEqual([{ name: "Web Content", pid: 77, fd: 9 }]);
    expect(s.info).toMatchObject({
      timer_name: "on",
      timer_expires_ms: 3210,
      timer_retrans: 2,
      skmem_rb_bytes: 131072,
      skmem_tb_bytes: 87040,
      skmem_d: 3,
      ts: true,
      sack: true,
      cong_alg: "cubic",
      rtt_ms: 0.5,
      rttvar_ms: 0.25,
      retrans: 0,
      retrans_total: 3,
      lost: 2,
      send_bps: 231.7e6,
      pacing_rate_bps: 463.3e6,
      pacing_rate_max_bps: 1.2e9,
      busy_ms: 10,
      rwnd_limited_ms: 12,
      rwnd_limited_pct: 1.2,
      tcp_ulp: "tls",
    });
    expect(facts.tcp_info).toEqual({
      sockets: 1,
      retrans_total: 3,
      sockets_with_retrans: 1,
      lost: 2,
    });
  });

  it("splits endpoints and reads rates and timers", () => {
    expect(splitEndpoint("[fe80::1]%eth0:123")).toEqual({
      address: "fe80::1",
      scope: "eth0",
      port: 123,
    });
    expect(splitEndpoint("fe80::1%eth0:123")).toEqual({
      address: "fe80::1",
      scope: "eth0",
      port: 123,
    });
    expect(splitEndpoint(":::22")).toEqual({ address: "::", port: 22 });
    expect(splitEndpoint("*:*")).toEqual({ address: "*" });
    expect(splitEndpoint("*")).toEqual({ address: "*" });
    expect(bitsPerSecond("9.9Kbps")).toBe(9900);
    expect(bitsPerSecond("800bps")).toBe(800);
    expect(timerMs("5min28sec")).toBe(328000);
    expect(timerMs("210ms")).toBe(210);
  });

  it("records a prompt and an elision as problems and goes on", () => {
    const { facts, problems } = parseText(
      parseSs,
      "$ ss -tan\nState Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n...\nESTAB 0 0 10.0.0.1:22 10.0.0.3:5001\n",
    );
    expect(facts.total).toBe(2);
    expect(problems).toEqual([
      expect.objectContaining({ line: 1, text: "$ ss -tan" }),
      expect.objectContaining({ line: 4, text: "..." }),
    ]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseSs, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseSs, "\u0000\u00ff\u0001 garbage\n\u00fe\u00fd\n")).toThrow(
      UnrecognisedOutputError,
    );
  });

  it("never throws anything but UnrecognisedOutputError on arbitrary bytes", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: rand() % 300 }, () =>
        String.fromCharCode(rand() % 256),
      ).join("");
      try {
        parseText(parseSs, text);
      } catch (err) {
        expect(err).toBeInstanceOf(UnrecognisedOutputError);
      }
    }
  });
});

describe("ss parser against jc", () => {
  const files = [
    "ss-listen/insights-core__test_netstat__Ss_TULPN.txt",
    "ss-listen/jc__ubuntu-18.04__ss-sudo-tulpen.out.txt",
    "ss-tcp/insights-core__test_netstat__SS_TUPNA_2.txt",
    "ss-tcp/insights-core__test_netstat__Ss_TUPNA.txt",
    "ss-tcp/jc__centos-7.7__ss-sudo-a.out.txt",
  ];
  it.skipIf(!hasJc).each(files)(
    `agrees with jc --ss on netid, state, queues and inet endpoints: %s${hasJc ? "" : " (skipped: /usr/bin/jc is not installed)"}`,
    (file) => {
      const ours = parseFixture(parseSs, file).facts.sockets;
      const theirs = JSON.parse(
        execFileSync(JC, ["--ss"], { input: execFileSync("cat", [fixturePath(file)]) }).toString(),
      ) as Record<string, unknown>[];
      expect(theirs).toHaveLength(ours.length);
      theirs.forEach((j, i) => {
        const o = ours[i];
        expect([o.netid, o.state, o.recv_q, o.send_q]).toEqual([
          j.netid,
          j.state,
          j.recv_q,
          j.send_q,
        ]);
        if (j.local_port === undefined || o.netid?.startsWith("u_")) return;
        // jc keeps IPv6 brackets (`[::1]`) and moves the %iface scope to `interface`.
        const bare = (a: unknown) => String(a).replace(/^\[(.*)\]$/, "$1");
        expect(o.local_address).toBe(bare(j.local_address));
        expect(o.local_scope).toBe(j.interface);
        expect(String(o.local_port ?? o.local_port_name ?? "*")).toBe(j.local_port);
        expect(o.peer_address).toBe(bare(j.peer_address));
        expect(String(o.peer_port ?? o.peer_port_name ?? "*")).toBe(j.peer_port);
      });
    },
  );
});

describe("ss parser: rows that are no sockets", () => {
  const vmstat = readFileSync(
    new URL("../../../shared/corpus/vmstat/jc__centos-7.7__vmstat-a.out.txt", import.meta.url),
    "utf8",
  );

  it("does not read vmstat rows as unix sockets: nothing of the format, exit 1", async () => {
    expect(() => parseSs(linesOf(vmstat))).toThrow(UnrecognisedOutputError);
    const r = await runCli(["parse", "ss-tcp", "-", "--json"], { input: vmstat });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
  });

  it("counts a port over 65535 or an address that is no address as a problem", () => {
    const header = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port";
    const rows = [
      "ESTAB  0      0      10.0.0.5:22        10.0.0.9:50514",
      "ESTAB  0      0      10.0.0.5:19869788  10.0.0.9:50514",
      "ESTAB  0      0      10.0.0.5:22        92336:50514",
      "ESTAB  0      0      [fe80::1]%eth0:123 [::]:*",
      "LISTEN 0      128    *:22               *:*",
      "ESTAB  0      0      localhost:ssh      ip6-localhost:40022",
      "2      0      0      2794696            295968 312736 0 0",
    ];
    const { facts, problems } = parseSs([header, ...rows]);
    expect(facts.sockets.map((s) => `${s.local_address} ${s.peer_address}`)).toEqual([
      "10.0.0.5 10.0.0.9",
      "fe80::1 ::",
      "* *",
      "localhost ip6-localhost",
    ]);
    expect(problems.map((p) => p.line)).toEqual([3, 4, 8]);
    // Unix, netlink and vsock rows keep their own endpoints: inodes and 32-bit ports.
    const other = parseSs([
      "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port",
      "u_str ESTAB  0      0      /run/systemd/journal/stdout 19869788 * 19869787",
      "nl    UNCONN 0      0      rtnl:kernel                 *",
      "v_str LISTEN 0      0      1:4294967295                *:*",
    ]);
    expect(other.problems).toEqual([]);
    expect(other.facts.sockets.map((s) => s.local_port ?? s.local_port_name)).toEqual([
      19869788,
      "kernel",
      4294967295,
    ]);
  });
});
