import { ProblemLog, sysfsFiles } from "./sysfs-files.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of `scsi-ioerr`: each SCSI device's command counters, from
 *
 * ```
 * ==> /sys/block/sda/device/iodone_cnt <==
 * 0x1f6a
 * ==> /sys/block/sda/device/ioerr_cnt <==
 * 0x3
 * ==> /sys/block/sda/device/iotmo_cnt <==
 * 0x0
 * ```
 * Yields: `devices[0].device = "sda"`, `devices[0].iodone_cnt = 8042`, `devices[0].ioerr_cnt = 3`.
 * Yields: `devices[0].iotmo_cnt = 0`.
 *
 * `iodone_cnt` counts the commands the device completed, `ioerr_cnt` those that completed
 * with a nonzero result (scsi_lib.c scsi_complete: `if (cmd->result)
 * atomic_inc(&cmd->device->ioerr_cnt)`), `iotmo_cnt` those that timed out (scsi_error.c
 * scsi_timeout). They grow from the device's probe (sd.c zeroes ioerr_cnt once probing is
 * done); each is printed `0x%llx\n`.
 *
 * Source: kernel drivers/scsi/scsi_sysfs.c (show_sdev_iostat / sdev_iostat_show),
 * drivers/scsi/scsi_lib.c, drivers/scsi/scsi_error.c, drivers/scsi/sd.c (sd_probe).
 */
export interface ScsiDeviceCounters {
  /** Block device name (`sda`). */
  device: string;
  iodone_cnt?: number;
  ioerr_cnt?: number;
  iotmo_cnt?: number;
}

export interface ScsiIoerrFacts {
  devices: ScsiDeviceCounters[];
}

const PATH = /(?:^|\/)block\/([^/]+)\/device\/(iodone_cnt|ioerr_cnt|iotmo_cnt)$/;

/**
 * Parses the SCSI device counters (see {@link ScsiIoerrFacts}). Throws
 * UnrecognisedOutputError when no counter file was found.
 */
export function parseScsiIoerr(lines: Iterable<string>): ParseResult<ScsiIoerrFacts> {
  const problems = new ProblemLog();
  const byDev = new Map<string, ScsiDeviceCounters>();
  for (const f of sysfsFiles(lines, (p) => PATH.test(p), problems)) {
    const [, device, file] = PATH.exec(f.path) ?? [];
    if (!/^0x[0-9a-f]+$/i.test(f.value)) {
      problems.add(f.line, f.value, `${file} is not a 0x count`);
      continue;
    }
    let d = byDev.get(device);
    if (!d) {
      d = { device };
      byDev.set(device, d);
    }
    d[file as "ioerr_cnt"] = Number.parseInt(f.value.slice(2), 16);
  }
  if (byDev.size === 0) {
    throw new UnrecognisedOutputError(
      "scsi-ioerr",
      "no /sys/block/DEV/device/io*_cnt file was found",
    );
  }
  return { facts: { devices: [...byDev.values()] }, problems: problems.list() };
}
