import type { WebClient } from "@slack/web-api";
import type { DigestPoster } from "../model/answer.js";

/**
 * The Slack {@link DigestPoster}: the digest as a message in its channel, then, when the message
 * could not hold everything, the whole digest as a text file in the message's thread.
 */
export function slackDigestPoster(client: WebClient): DigestPoster {
  return async (message) => {
    const posted = await client.chat.postMessage({
      channel: message.channel,
      text: message.text,
      blocks: message.blocks as never,
      unfurl_links: false,
    });
    const ts = posted.ts as string;
    if (message.file) {
      await client.files.uploadV2({
        channel_id: message.channel,
        thread_ts: ts,
        file_uploads: [
          {
            file: Buffer.from(message.file.content),
            filename: message.file.filename,
            title: message.file.filename,
          },
        ],
      });
    }
    return { ts };
  };
}
