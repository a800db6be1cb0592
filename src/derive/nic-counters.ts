/**
 * What the NIC driver counters of `ethtool -S` mean, driver by driver: one table of counter-name
 * patterns, each with its kind, direction, meaning and the document or source file that
 * defines it.
 *
 * Kinds:
 * - `drop`: the packet was lost for lack of a ring slot or buffer (the host did not drain or
 *   refill the ring in time, or the adapter's buffer was full);
 * - `error`: the frame arrived damaged or malformed (CRC/FCS, symbol, length, jabber,
 *   fragment, MAC faults): a cable, optic, port, duplex or MTU problem at the physical layer;
 * - `limit`: a documented cap outside the guest dropped or queued the packet (AWS shapes an
 *   instance's traffic at its bandwidth, packets-per-second, connection-tracking and link-local
 *   allowances; a virtio device's rate limiter);
 * - `pause`: IEEE 802.3x link pause or 802.1Qbb priority flow control (PFC) frames, i.e. one
 *   side asked the other to stop sending. XON frames (resume) are not counted.
 *
 * Patterns match the *base name*: the counter name with its queue, ring, priority or class
 * index taken out ({@link baseName}), so `rx3_drops`, `[3]: rx_discards`,
 * `queue_3_rx_page_alloc_fail`, `rx_prio3_pause` and `Rx Queue#3: pkts rx OOB` each match one
 * entry. Counters that match no entry (packets, bytes, checksum offload, XDP verdicts, which
 * are the program's choice) are not judged, except that a driver outside the table has its
 * receive drops found by name ({@link OTHER_RX_DROP}).
 *
 * Sources (kernel tree paths; "doc" = Documentation/networking/):
 * - generic: doc/statistics.rst (struct rtnl_link_stats64: rx_missed_errors "receiver missed
 *   packet", rx_fifo_errors, rx_over_errors, rx_crc_errors, rx_frame_errors,
 *   rx_length_errors), doc/ethtool-netlink.rst (pause statistics tx_pause_frames,
 *   rx_pause_frames);
 * - virtio_net: drivers/net/virtio_net.c (virtnet_rq_stats_desc rx_drops; device statistics
 *   rx_hw_drops, tx_hw_drops, *_hw_ratelimit_packets; rx_hw_drop_overruns is part of
 *   rx_hw_drops, tx_hw_drop_malformed a guest's bad packet, not the wire), VIRTIO 1.3
 *   §5.1.6.5.4 (VIRTIO_NET_F_DEVICE_STATS);
 * - vmxnet3: drivers/net/vmxnet3/vmxnet3_ethtool.c (vmxnet3_rq_dev_stats "pkts rx OOB",
 *   "pkts rx err"; vmxnet3_rq_driver_stats "rx buf alloc fail", "fcs"; vmxnet3_tq_* "ring
 *   full", "pkts tx discard", "pkts tx err");
 * - ixgbe: drivers/net/ethernet/intel/ixgbe/ixgbe_ethtool.c (rx_no_dma_resources,
 *   alloc_rx_page_failed, rx_long/short_length_errors, *_flow_control_xoff, *_pb_N_pxoff) and
 *   doc/device_drivers/ethernet/intel/ixgbe.rst (flow control);
 * - i40e: drivers/net/ethernet/intel/i40e/i40e_ethtool.c (i40e_gstrings_stats port.*) and
 *   doc/device_drivers/ethernet/intel/i40e.rst;
 * - ice: drivers/net/ethernet/intel/ice/ice_ethtool.c (ice_gstrings_pf_stats *.nic, the
 *   port's counters) and doc/device_drivers/ethernet/intel/ice.rst ("Flow Control": pause
 *   frames are sent when the receive packet buffer crosses a threshold; "Packet drops may
 *   occur under receive stress");
 * - mlx5: doc/device_drivers/ethernet/mellanox/mlx5/counters.rst (rx_out_of_buffer,
 *   rx_discards_phy "dropped due to lack of buffers ... the adapter is congested",
 *   rx_crc_errors_phy, rx_symbol_err_phy, rx_*_len_*_phy, rx_pause_ctrl_phy, rx_prio[p]_pause);
 * - bnxt_en: drivers/net/ethernet/broadcom/bnxt/bnxt_ethtool.c (per-ring `[N]: rx_discards`,
 *   bnxt_ring_err_stats_arr rx_total_oom_discards, bnxt_port_stats_arr rx_fcs_err_frames,
 *   rx_pause_frames, rx_pfc_ena_frames_priN, rx_stat_discard);
 * - ena: drivers/net/ethernet/amazon/ena/ena_ethtool.c (ena_stats_eni_strings, per-queue
 *   queue_N_rx_page_alloc_fail) and AWS EC2 User Guide "Monitor network performance for ENA
 *   settings on your EC2 instance" (the five *_allowance_exceeded counters: "packets queued or
 *   dropped because ... exceeded the maximum for the instance").
 */

/** Drivers told apart, under the names `ethtool -i` prints as `driver:`. */
export type NicDriver =
  | "virtio_net"
  | "vmxnet3"
  | "ixgbe"
  | "i40e"
  | "ice"
  | "mlx5_core"
  | "bnxt_en"
  | "ena";

export type NicCounterKind = "drop" | "error" | "limit" | "pause";

export interface NicCounterEntry {
  kind: NicCounterKind;
  /** rx: the receive side; tx: the transmit side; both: a bidirectional cap (ENA pps). */
  dir: "rx" | "tx" | "both";
  /** Matched against the counter's base name ({@link baseName}). */
  name: RegExp;
  /** Drivers that print it; `any` for the kernel's generic names. */
  drivers: readonly NicDriver[] | "any";
  /** What one increment means, in the source's words where it has them. */
  meaning: string;
  /** The document or source file that defines it. */
  source: string;
}

const STATS = "Documentation/networking/statistics.rst";
const PAUSE = "Documentation/networking/ethtool-netlink.rst (PAUSE_GET statistics)";
const VIRTIO = "drivers/net/virtio_net.c; VIRTIO 1.3 §5.1.6.5.4 device statistics";
const VMXNET3 = "drivers/net/vmxnet3/vmxnet3_ethtool.c";
const IXGBE = "drivers/net/ethernet/intel/ixgbe/ixgbe_ethtool.c; .../intel/ixgbe.rst";
const I40E = "drivers/net/ethernet/intel/i40e/i40e_ethtool.c; .../intel/i40e.rst";
const ICE = "drivers/net/ethernet/intel/ice/ice_ethtool.c; .../intel/ice.rst";
const MLX5 = "Documentation/networking/device_drivers/ethernet/mellanox/mlx5/counters.rst";
const BNXT = "drivers/net/ethernet/broadcom/bnxt/bnxt_ethtool.c";
const ENA = "drivers/net/ethernet/amazon/ena/ena_ethtool.c";
const AWS = "AWS EC2 User Guide, Monitor network performance for ENA settings on your EC2 instance";

/** The table (first match wins). */
export const NIC_COUNTERS: readonly NicCounterEntry[] = [
  // Generic names (struct rtnl_link_stats64), echoed by ixgbe, i40e, igb and others.
  {
    kind: "drop",
    dir: "rx",
    name: /^rx_missed_errors$/,
    drivers: "any",
    meaning: "receiver missed packet: no room in the NIC's receive FIFO/ring",
    source: STATS,
  },
  {
    kind: "drop",
    dir: "rx",
    name: /^rx_(fifo|over)_errors$/,
    drivers: "any",
    meaning: "receiver FIFO / ring buffer overflow",
    source: STATS,
  },
  {
    kind: "drop",
    dir: "rx",
    name: /^rx_(dropped|no_buffer_count)$/,
    drivers: "any",
    meaning: "received but not processed for lack of resources (no receive buffer)",
    source: STATS,
  },
  {
    kind: "error",
    dir: "rx",
    name: /^rx_(crc|frame|length|align)_errors$/,
    drivers: "any",
    meaning: "frame received with a bad CRC, alignment or length",
    source: STATS,
  },
  {
    kind: "error",
    dir: "tx",
    name: /^tx_carrier_errors$/,
    drivers: "any",
    meaning: "carrier lost while sending (link or duplex problem)",
    source: STATS,
  },
  {
    kind: "pause",
    dir: "rx",
    name: /^rx_pause(_frames)?$/,
    drivers: ["bnxt_en"],
    meaning: "pause frames received: the link partner asked this port to stop sending",
    source: `${PAUSE}; ${BNXT}`,
  },
  {
    kind: "pause",
    dir: "tx",
    name: /^tx_pause(_frames)?$/,
    drivers: ["bnxt_en"],
    meaning: "pause frames sent: this port could not absorb the traffic",
    source: `${PAUSE}; ${BNXT}`,
  },
  // virtio_net
  {
    kind: "drop",
    dir: "rx",
    name: /^rx_(drops|hw_drops)$/,
    drivers: ["virtio_net"],
    meaning:
      "dropped on receive (driver: no buffer or bad length; device: any reason, ring overruns included)",
    source: VIRTIO,
  },
  {
    kind: "drop",
    dir: "tx",
    name: /^tx_hw_drops$/,
    drivers: ["virtio_net"],
    meaning: "dropped by the device on transmit",
    source: VIRTIO,
  },
  {
    kind: "limit",
    dir: "both",
    name: /^(rx|tx)_hw_ratelimit_packets$/,
    drivers: ["virtio_net"],
    meaning: "packets dropped by the device's rate limiter",
    source: VIRTIO,
  },
  // vmxnet3 (queue sections, see the parser)
  {
    kind: "drop",
    dir: "rx",
    name: /^(Rx Queue#: )?(pkts rx OOB|pkts rx out of buf|rx buf alloc fail)$/,
    drivers: ["vmxnet3"],
    meaning: "received with no buffer posted in the ring (out of buffers), or none allocated",
    source: VMXNET3,
  },
  {
    kind: "drop",
    dir: "tx",
    name: /^(Tx Queue#: )?(ring full|pkts tx discard)$/,
    drivers: ["vmxnet3"],
    meaning: "transmit ring full, or packets the device discarded",
    source: VMXNET3,
  },
  {
    kind: "error",
    dir: "rx",
    name: /^(Rx Queue#: )?(pkts rx err|fcs)$/,
    drivers: ["vmxnet3"],
    meaning: "received with an error, or dropped for a bad FCS",
    source: VMXNET3,
  },
  // ixgbe
  {
    kind: "drop",
    dir: "rx",
    name: /^(rx_no_dma_resources|alloc_rx_page_failed|alloc_rx_buff_failed)$/,
    drivers: ["ixgbe"],
    meaning: "no receive descriptor or buffer: the ring was full",
    source: IXGBE,
  },
  {
    kind: "error",
    dir: "rx",
    name: /^rx_(long|short)_length_errors$/,
    drivers: ["ixgbe"],
    meaning: "frames longer than the maximum, or shorter than 64 bytes",
    source: IXGBE,
  },
  {
    kind: "pause",
    dir: "rx",
    name: /^(rx_flow_control_xoff|rx_pb_N_pxoff)$/,
    drivers: ["ixgbe"],
    meaning: "XOFF (pause) frames received, link or per packet buffer",
    source: IXGBE,
  },
  {
    kind: "pause",
    dir: "tx",
    name: /^(tx_flow_control_xoff|tx_pb_N_pxoff)$/,
    drivers: ["ixgbe"],
    meaning: "XOFF (pause) frames sent, link or per packet buffer",
    source: IXGBE,
  },
  // i40e (port.* = the physical function's port)
  {
    kind: "drop",
    dir: "rx",
    name: /^port\.rx_(dropped|discards)$/,
    drivers: ["i40e"],
    meaning: "receive discards at the port (no descriptor or buffer)",
    source: I40E,
  },
  {
    kind: "error",
    dir: "rx",
    name: /^port\.(rx_crc_errors|illegal_bytes|rx_length_errors|rx_undersize|rx_fragments|rx_oversize|rx_jabber|mac_local_faults|mac_remote_faults)$/,
    drivers: ["i40e"],
    meaning: "CRC, illegal byte, length, undersize/oversize, fragment or jabber frames; MAC faults",
    source: I40E,
  },
  {
    kind: "pause",
    dir: "rx",
    name: /^port\.(link_xoff_rx|rx_priority_N_xoff_rx)$/,
    drivers: ["i40e"],
    meaning: "XOFF frames received (link or PFC priority)",
    source: I40E,
  },
  {
    kind: "pause",
    dir: "tx",
    name: /^port\.(link_xoff_tx|tx_priority_N_xoff_tx)$/,
    drivers: ["i40e"],
    meaning: "XOFF frames sent (link or PFC priority)",
    source: I40E,
  },
  // ice (*.nic = the port)
  {
    kind: "drop",
    dir: "rx",
    name: /^rx_dropped\.nic$/,
    drivers: ["ice"],
    meaning: "receive discards at the port (no descriptor or buffer)",
    source: ICE,
  },
  {
    kind: "error",
    dir: "rx",
    name: /^(rx_crc_errors|illegal_bytes|rx_length_errors|rx_undersize|rx_fragments|rx_oversize|rx_jabber|mac_local_faults|mac_remote_faults)\.nic$/,
    drivers: ["ice"],
    meaning: "CRC, illegal byte, length, undersize/oversize, fragment or jabber frames; MAC faults",
    source: ICE,
  },
  {
    kind: "pause",
    dir: "rx",
    name: /^(link_xoff_rx|rx_priority_N_xoff)\.nic$/,
    drivers: ["ice"],
    meaning: "XOFF frames received (link or PFC priority)",
    source: ICE,
  },
  {
    kind: "pause",
    dir: "tx",
    name: /^(link_xoff_tx|tx_priority_N_xoff)\.nic$/,
    drivers: ["ice"],
    meaning: "XOFF frames sent (link or PFC priority)",
    source: ICE,
  },
  // mlx5
  {
    kind: "drop",
    dir: "rx",
    name: /^rx_(out_of_buffer|discards_phy|buff_alloc_err|prioN_buf_discard|prioN_cong_discard)$/,
    drivers: ["mlx5_core"],
    meaning:
      "no receive WQE posted (out_of_buffer), or dropped for lack of adapter buffers: the host or adapter could not absorb the traffic",
    source: MLX5,
  },
  {
    kind: "drop",
    dir: "tx",
    name: /^tx_discards_phy$/,
    drivers: ["mlx5_core"],
    meaning: "discarded on transmit without an error (link down, head-of-line drop, pause)",
    source: MLX5,
  },
  {
    kind: "error",
    dir: "rx",
    name: /^(rx_crc_errors_phy|rx_symbol_err_phy|rx_pcs_symbol_err_phy|rx_in_range_len_errors_phy|rx_out_of_range_len_phy|rx_oversize_pkts_phy|rx_undersize_pkts_phy|rx_fragments_phy|rx_jabbers_phy|link_down_events_phy)$/,
    drivers: ["mlx5_core"],
    meaning:
      "FCS, symbol (coding), length, undersize/oversize, fragment or jabber frames on the physical port; link-down events",
    source: MLX5,
  },
  {
    kind: "error",
    dir: "tx",
    name: /^tx_errors_phy$/,
    drivers: ["mlx5_core"],
    meaning: "transmit drops for a length above the MTU",
    source: MLX5,
  },
  {
    kind: "pause",
    dir: "rx",
    name: /^(rx_pause_ctrl_phy|rx_prioN_pause|rx_global_pause)$/,
    drivers: ["mlx5_core"],
    meaning: "pause frames received: the network is congested and cannot absorb our traffic",
    source: MLX5,
  },
  {
    kind: "pause",
    dir: "tx",
    name: /^(tx_pause_ctrl_phy|tx_prioN_pause|tx_global_pause)$/,
    drivers: ["mlx5_core"],
    meaning: "pause frames sent: the NIC is congested and cannot absorb the traffic",
    source: MLX5,
  },
  // bnxt_en
  {
    kind: "drop",
    dir: "rx",
    // rx_total_ring_discards is the sum of the rings' `[N]: rx_discards`, so it is left out.
    name: /^rx_(discards|buf_errors|total_oom_discards|stat_discard|discard_packets_cosN)$/,
    drivers: ["bnxt_en"],
    meaning: "receive ring discards (no buffer), buffer errors, out-of-memory or port discards",
    source: BNXT,
  },
  {
    kind: "error",
    dir: "rx",
    name: /^rx_(fcs_err|align_err|jbr|ovrsz|undrsz|runt|mtu_err)_frames$/,
    drivers: ["bnxt_en"],
    meaning: "FCS, alignment, jabber, oversize, undersize, runt or MTU error frames",
    source: BNXT,
  },
  {
    kind: "pause",
    dir: "rx",
    name: /^rx_pfc_ena_frames_priN$/,
    drivers: ["bnxt_en"],
    meaning: "PFC frames received for a priority",
    source: BNXT,
  },
  {
    kind: "pause",
    dir: "tx",
    name: /^tx_pfc_ena_frames_priN$/,
    drivers: ["bnxt_en"],
    meaning: "PFC frames sent for a priority",
    source: BNXT,
  },
  // ena
  {
    kind: "limit",
    dir: "rx",
    name: /^bw_in_allowance_exceeded$/,
    drivers: ["ena"],
    meaning:
      "packets queued or dropped because the inbound aggregate bandwidth exceeded the maximum for the instance",
    source: `${ENA}; ${AWS}`,
  },
  {
    kind: "limit",
    dir: "tx",
    name: /^bw_out_allowance_exceeded$/,
    drivers: ["ena"],
    meaning:
      "packets queued or dropped because the outbound aggregate bandwidth exceeded the maximum for the instance",
    source: `${ENA}; ${AWS}`,
  },
  {
    kind: "limit",
    dir: "both",
    name: /^pps_allowance_exceeded$/,
    drivers: ["ena"],
    meaning:
      "packets queued or dropped because the bidirectional packets per second exceeded the maximum for the instance",
    source: `${ENA}; ${AWS}`,
  },
  {
    kind: "limit",
    dir: "both",
    name: /^conntrack_allowance_exceeded$/,
    drivers: ["ena"],
    meaning:
      "packets dropped because connection tracking (security groups) exceeded the maximum for the instance",
    source: `${ENA}; ${AWS}`,
  },
  {
    kind: "limit",
    dir: "tx",
    name: /^linklocal_allowance_exceeded$/,
    drivers: ["ena"],
    meaning:
      "packets dropped because traffic to link-local services (DNS, Instance Metadata, Time Sync) exceeded the per-interface PPS maximum",
    source: `${ENA}; ${AWS}`,
  },
  {
    kind: "drop",
    dir: "rx",
    name: /^queue_rx_(page_alloc_fail|skb_alloc_fail|dma_mapping_err)$/,
    drivers: ["ena"],
    meaning: "no receive buffer could be allocated or mapped for the ring",
    source: ENA,
  },
];

/**
 * The counter's name with queue, ring, priority and class-of-service indexes taken out:
 * `rx3_drops` → `rx_drops` (virtio_net, mlx5 channels), `[3]: rx_discards` → `rx_discards`
 * (bnxt_en rings), `queue_3_rx_page_alloc_fail` → `queue_rx_page_alloc_fail` (ena),
 * `Rx Queue#3: fcs` → `Rx Queue#: fcs` (vmxnet3 sections, named so by the parser),
 * `rx_prio3_pause` → `rx_prioN_pause`, `port.rx_priority_3_xoff_rx` →
 * `port.rx_priority_N_xoff_rx`, `rx_pfc_ena_frames_pri3` → `rx_pfc_ena_frames_priN`,
 * `rx_pb_3_pxoff` → `rx_pb_N_pxoff`, `rx_discard_packets_cos3` → `rx_discard_packets_cosN`.
 */
export function baseName(name: string): string {
  return name
    .replace(/^\[\d+\]:\s*/, "")
    .replace(/^(rx|tx)\d+_/, "$1_")
    .replace(/^queue_\d+_/, "queue_")
    .replace(/^(Rx|Tx) Queue#\d+: /, "$1 Queue#: ")
    .replace(/(prio|_pri|_cos)\d+(?=_|$)/, "$1N")
    .replace(/_(priority|pb)_\d+_/, "_$1_N_");
}

const TABLE_DRIVERS: readonly string[] = [
  "virtio_net",
  "vmxnet3",
  "ixgbe",
  "i40e",
  "ice",
  "mlx5_core",
  "bnxt_en",
  "ena",
];

/**
 * For a driver outside the table (igb, e1000e, hv_netvsc, gve, sfc, ...): a receive counter
 * whose name says it missed, dropped or discarded packets or ran out of buffers
 * (`rx_queue_0_drops`, `rx_dropped_pkt`); not XDP verdicts, byte counts or transmit counters.
 */
export const OTHER_RX_DROP: NicCounterEntry = {
  kind: "drop",
  dir: "rx",
  name: /^(?!.*(?:xdp|bytes|(?:^|[._])tx[._]))(?:.*[._])?rx[._a-z0-9]*?(missed|fifo|no_?buf|out_of_buffer|discard|drop|over_err|no_dma)/i,
  drivers: "any",
  meaning: "a receive counter whose name says packets were missed, dropped or found no buffer",
  source: "ethtool(8) -S (driver-specific names); Documentation/networking/statistics.rst",
};

/**
 * The table's entry for a counter name, or undefined when the name is not judged. For a
 * driver that is not in the table (or not known), a name no entry matches is judged by
 * {@link OTHER_RX_DROP}.
 */
export function classify(name: string, driver?: string): NicCounterEntry | undefined {
  const base = baseName(name);
  const entry = NIC_COUNTERS.find((e) => e.name.test(base));
  if (entry || (driver !== undefined && TABLE_DRIVERS.includes(driver))) return entry;
  return OTHER_RX_DROP.name.test(name) ? OTHER_RX_DROP : undefined;
}

/** Names that only one driver prints, in the order they are tried. */
const SIGNATURES: readonly [NicDriver, RegExp][] = [
  ["ena", /_allowance_exceeded$|^queue_\d+_rx_(page_alloc_fail|bad_req_id)$/],
  ["vmxnet3", /^(Rx|Tx) Queue#|^(pkts rx OOB|pkts rx out of buf|drv dropped rx total)$/],
  ["virtio_net", /^(rx|tx)\d*_kicks$/],
  ["mlx5_core", /_phy$|^rx_out_of_buffer$|^ch\d+_events$/],
  ["ice", /\.nic$/],
  ["i40e", /^port\.(rx_crc_errors|link_xoff_rx|rx_dropped|rx_discards)$/],
  ["bnxt_en", /^\[\d+\]: |^rx_(fcs_err_frames|stat_discard)$|^rx_total_l4_csum_errors$/],
  ["ixgbe", /^(rx_no_dma_resources|fdir_match|fdir_miss|os2bmc_rx_by_bmc)$|^rx_pb_\d+_pxoff$/],
];

/**
 * The driver behind a set of counter names, from names only one of them prints
 * ({@link SIGNATURES}); undefined when none is recognised (`ethtool -i IFACE` says it).
 */
export function detectDriver(names: Iterable<string>): NicDriver | undefined {
  const list = [...names];
  for (const [driver, sig] of SIGNATURES) if (list.some((n) => sig.test(n))) return driver;
  return undefined;
}
