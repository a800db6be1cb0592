import type { WebClient } from "@slack/web-api";
import type { Logger } from "../observability/log.js";

/**
 * Members of the Slack user groups that RBAC bindings name (`usergroups.users.list`), kept in
 * memory and refreshed in the background. A handler reads {@link groupsOf} synchronously, so no
 * Web API call ever stands between a request and its acknowledgement (Slack allows 3 s). A group
 * not listed yet (the first refresh still running, or failing) has no members: access falls back
 * to the user's other bindings until the next refresh succeeds.
 */
export class UserGroupMembership {
  private readonly members = new Map<string, Set<string>>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  /**
   * @param groups user group ids (`S...`) the RBAC bindings name
   * @param refreshMs how often the lists are fetched again, ms (default 5 min)
   */
  constructor(
    private readonly client: WebClient,
    private readonly groups: readonly string[],
    private readonly log: Logger,
    private readonly refreshMs = 300_000,
  ) {}

  /** The groups of `groups` that list `user`, from the last lists fetched. */
  groupsOf(user: string): string[] {
    return this.groups.filter((g) => this.members.get(g)?.has(user));
  }

  /** Fetches every group's members once; a refresh already running is shared, not repeated. */
  refresh(): Promise<void> {
    this.running ??= Promise.all(this.groups.map((g) => this.fetch(g))).then(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Starts the periodic refresh and waits for the first one at most `waitMs`: a slow Slack API
   * delays the start by that much, never a request.
   */
  async start(waitMs: number): Promise<void> {
    if (this.groups.length === 0) return;
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      this.refresh(),
      new Promise<void>((resolve) => {
        waited = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(waited);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async fetch(group: string): Promise<void> {
    try {
      const r = await this.client.usergroups.users.list({ usergroup: group });
      this.members.set(group, new Set(r.users ?? []));
    } catch (err) {
      this.log.warn(
        { usergroup: group, err: (err as Error).message },
        "cannot list a user group's members",
      );
    }
  }
}
