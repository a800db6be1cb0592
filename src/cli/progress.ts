import { type Progress, progressText } from "../model/progress.js";

/**
 * A one-line progress indicator on a terminal's stderr while a diagnosis runs: the sampling
 * window counted down with the samplers still running ("diagnosing host-42: sampling: 3 s left
 * of 5 s (iostat, mpstat, vmstat), 22/35 collectors done"), then the collectors that are late,
 * then the parse, evaluate and answer phases (model/progress.ts says each). Silent when stderr
 * is not a TTY.
 */
export function progressLine(stream: NodeJS.WriteStream, host: string) {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  return {
    update: (progress: Progress) => {
      if (!tty) return;
      shown = true;
      const line = `diagnosing ${host}: ${progressText(progress)}`;
      // One line, cut to the terminal's width (100 when it does not say) so that \r returns to its start.
      const width = stream.columns || 100;
      stream.write(`\r\u001b[2K${line.length >= width ? `${line.slice(0, width - 2)}…` : line}`);
    },
    done: () => {
      if (tty && shown) stream.write("\r\u001b[2K");
    },
  };
}
