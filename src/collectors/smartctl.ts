import type { Collector, CommandContext } from "./types.js";

/** Most disks read; a larger host's others are left out (each read takes up to a second). */
export const SMARTCTL_MAX_DISKS = 32;

/**
 * Block devices that keep no SMART data: virtio, Xen and network disks, device-mapper and md
 * (whose members are listed on their own), loop, RAM and zram, eMMC, optical and floppy
 * drives, persistent memory, null_blk. Names from drivers/block/virtio_blk.c (`vd`),
 * xen-blkfront.c (`xvd`), nbd.c, rbd.c, brd.c (`ram`), zram, drivers/mmc/core/block.c
 * (`mmcblk`), drivers/scsi/sr.c, drivers/nvdimm/pmem.c, null_blk.
 */
const NO_SMART = [
  "vd*",
  "xvd*",
  "nbd*",
  "rbd*",
  "dm-*",
  "md*",
  "loop*",
  "ram*",
  "zram*",
  "mmcblk*",
  "sr*",
  "fd*",
  "pmem*",
  "nullb*",
];

/** What the script says when /sys/block holds only {@link NO_SMART} devices. */
const NO_SMART_SAID =
  "no disk smartctl can read: /sys/block holds only virtual, network, memory and optical devices";

/**
 * The fixed script. Where /sys/block lists only devices that keep no SMART data
 * ({@link NO_SMART}: a VM's virtio disks), it says so without starting smartctl, whose
 * `--scan` costs some 20 ms of CPU. Otherwise `smartctl --scan` lists the disks smartctl can
 * open with the device type it would use (`/dev/sda -d sat # ...`,
 * `/dev/bus/0 -d megaraid,0 # ...`); each of the first {@link SMARTCTL_MAX_DISKS} is read with `smartctl -i -H -A -n standby -d TYPE DEV` under a
 * `==> DEV <==` marker (`==> DEV -d TYPE <==` for a disk behind a RAID controller, where one
 * DEV holds several disks). `-n standby` leaves a spun-down disk asleep (smartctl(8): it
 * prints `Device is in STANDBY mode` and reads nothing). smartctl's exit status is a bit mask
 * whose bits 3-7 report the disk's state (FAILING, prefail attributes, error logs), not a failed
 * command (smartctl(8) "RETURN VALUES"), so each disk's status is left to its output and the
 * script ends 0. A host without smartctl exits 127 (missing); a session without root, and a
 * host where smartctl finds no disk (virtio disks keep no SMART data), say so on stderr.
 */
const SCRIPT = [
  "command -v smartctl >/dev/null 2>&1 || { echo 'sh: smartctl: not found' >&2; exit 127; }",
  "for b in /sys/block/*; do",
  `  case \${b##*/} in ${NO_SMART.join("|")}) ;; *) disk=1; break ;; esac`,
  "done",
  `[ -n "$disk" ] || { echo "${NO_SMART_SAID}" >&2; exit 1; }`,
  '[ "$(id -u)" -eq 0 ] || { echo "smartctl: opening the disks needs root: Permission denied" >&2; exit 1; }',
  "scan=$(smartctl --scan 2>/dev/null | grep '^/dev/')",
  '[ -n "$scan" ] || { echo "smartctl --scan: no disk found" >&2; exit 1; }',
  `printf '%s\\n' "$scan" | head -n ${SMARTCTL_MAX_DISKS} | while read -r dev opt type rest; do`,
  '  [ "$opt" = -d ] || type=auto',
  '  case $type in *,*) name="$dev -d $type" ;; *) name=$dev ;; esac',
  `  printf '==> %s <==\\n' "$name"`,
  '  smartctl -i -H -A -n standby -d "$type" "$dev" 2>&1',
  "done",
  "exit 0",
  "",
].join("\n");

/**
 * Each disk's own health verdict and error counters (smartmontools): the ATA overall-health
 * self-assessment and attribute table, the SCSI health status and grown defect list, the NVMe
 * SMART/Health Information log. Opening a disk needs root, and as a script it never runs under
 * sudo (DESIGN.md: no `sudo sh`): `command()` returns null when the host reaches root only
 * through sudo. Optional: a host without smartmontools reports it missing, one without a disk
 * smartctl can read (a VM's virtio disks) is skipped.
 */
export const smartctl: Collector = {
  id: "smartctl",
  title: "disk health self-assessment and error counters (smartctl -i -H -A, each disk)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 30,
  capBytes: 1 << 20,
  package: "smartmontools",
  absent: {
    stderr: /smartctl --scan: no disk found|^no disk smartctl can read: /m,
    reason: "smartctl finds no disk it can read (virtual disks such as virtio keep no SMART data)",
  },
  command: (ctx: CommandContext) => {
    if (!ctx.root && ctx.sudo) return null;
    return { argv: ["sh", "-c", SCRIPT], script: SCRIPT, root: true };
  },
  skipReason: () =>
    "needs root to open the disks, and as a script (one smartctl per disk) it never runs under sudo (no `sudo sh`); this host reaches root only through sudo: connect as root to run it",
};
