import { describe, expect, it } from "vitest";
import { parseBccTcpretrans } from "../../src/parsers/bcc-tcpretrans.js";
import { parseConntrack } from "../../src/parsers/conntrack.js";
import { parseConntrackStats } from "../../src/parsers/conntrack-stats.js";
import { parseEthtoolStats } from "../../src/parsers/ethtool-stats.js";
import { parseNetstatConn } from "../../src/parsers/netstat-conn.js";
import { parseNetstatS } from "../../src/parsers/netstat-s.js";
import { parseNstat } from "../../src/parsers/nstat.js";
import { parseSockstat } from "../../src/parsers/sockstat.js";
import { parseSs } from "../../src/parsers/ss.js";
import { parseSsSummary } from "../../src/parsers/ss-summary.js";
import type { Parser } from "../../src/parsers/types.js";
import { expectOnlyUnrecognised } from "../helpers/garbage.js";

/** Arbitrary bytes, and fragments of the real formats cut anywhere: only UnrecognisedOutputError. */
const PARSERS: [string, Parser<unknown>][] = [
  ["ss", parseSs],
  ["ss-summary", parseSsSummary],
  ["nstat", parseNstat],
  ["netstat-s", parseNetstatS],
  ["netstat-conn", parseNetstatConn],
  ["sockstat", parseSockstat],
  ["conntrack", parseConntrack],
  ["conntrack-stats", parseConntrackStats],
  ["ethtool-stats", parseEthtoolStats],
  ["bcc-tcpretrans", parseBccTcpretrans],
];

const PIECES = [
  "Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n",
  'tcp ESTAB 0 0 [::1]:22 [::1]:5 users:(("a b",pid=1,fd=2)) timer:(on,1.2ms\n',
  "\t cubic wscale:7 rtt:/ retrans:x/ send bps pacing_rate 1Mbps/ bbr:(bw:\n",
  "TCP: inuse 1 orphan\n",
  "Tcp:\n    12 segments retransmitted\n  ICMP input histogram:\n",
  "==> /proc/net/stat/nf_conntrack <==\nentries a b\n0000 zz\n",
  "cpu=0 found=1 insert_failed=\n",
  '{"kernel":{"IpInReceives":',
  "unix  2 [ ACC ] STREAM LISTENING 1 ",
  "tcp 0 0 1.2.3.4:80 5.6.7.8:9 SYN_RECV 1/x off (0.00/0\n",
  "[10.0.0.1]#22 <-> [10.0.0.2]# 5\n",
  "NIC statistics:\n     rx: \n",
  "Total: 190\nTCP:   8 (estab 2, closed 0, orphaned 0, timewait 0)\n",
  "#kernel\nIpInReceives 100 0.0\n",
  "sockets: used 120\nTCP: inuse 4 orphan 0 tw 0 alloc 6 mem 1\n",
];

describe("network parsers on arbitrary input", () => {
  it.each(PARSERS)("%s throws nothing but UnrecognisedOutputError", (_name, parser) => {
    const { read, unrecognised } = expectOnlyUnrecognised(parser, PIECES, 20240607);
    expect(read + unrecognised).toBe(300);
    // The inputs reach the parser's reading, not only its refusal.
    expect(read).toBeGreaterThan(0);
  });
});
