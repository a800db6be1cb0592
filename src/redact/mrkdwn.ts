/**
 * Escapes text for Slack's mrkdwn, as Slack documents it ("Escaping text",
 * https://api.slack.com/reference/surfaces/formatting#escaping): `&` → `&amp;`, `<` → `&lt;`,
 * `>` → `&gt;`. Slack forms links, mentions and broadcasts only from `<…>` sequences
 * (`<!channel>`, `<!here>`, `<@U123>`, `<#C123>`, `<!subteam^S1>`, `<https://x|label>`), so
 * host text escaped this way shows as typed and never pings, links or renders. `&` goes first
 * so that an escape already in the host text (`&lt;`) is shown, not decoded.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
