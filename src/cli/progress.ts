/**
 * A one-line progress indicator on a terminal's stderr while collectors run
 * ("collecting on host-42: 12/26 (iostat)"). Silent when stderr is not a TTY.
 */
export function progressLine(stream: NodeJS.WriteStream, host: string) {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  return {
    update: (done: number, total: number, id: string) => {
      if (!tty) return;
      shown = true;
      stream.write(`\r\u001b[2Kcollecting on ${host}: ${done}/${total} (${id})`);
    },
    done: () => {
      if (tty && shown) stream.write("\r\u001b[2K");
    },
  };
}
