import type { Rule } from "./types.js";

/**
 * Vendor-prefixed tokens: credentials whose issuer stamps them with a prefix, so they are
 * recognised wherever they appear, named or not. Sources: the issuers' own documentation of
 * their token formats, as collected in the rule list of gitleaks
 * (https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml) and the detectors of
 * trufflehog (https://github.com/trufflesecurity/trufflehog/tree/main/pkg/detectors). The
 * patterns here are written for redaction, not detection: a distinctive prefix needs only a few
 * characters after it, so that a token cut by a column width (`top -w`, `ps`) is still
 * replaced from its prefix; a weak prefix (a couple of letters, or hex that a checksum could
 * start with) needs the token's whole length.
 */
export interface VendorToken {
  /** Who issues it. */
  vendor: string;
  family:
    | "cloud"
    | "chat"
    | "source-hosting"
    | "payment"
    | "mail"
    | "package-registry"
    | "llm"
    | "secret-manager"
    | "saas";
  /** The token's shape (no anchors; the rule adds a word boundary before it). */
  pattern: string;
}

export const VENDOR_TOKENS: readonly VendorToken[] = [
  // cloud
  { vendor: "AWS access key id", family: "cloud", pattern: "(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{8,}" },
  { vendor: "Google API key", family: "cloud", pattern: "AIza[0-9A-Za-z_-]{10,}" },
  { vendor: "Google OAuth access token", family: "cloud", pattern: "ya29\\.[0-9A-Za-z_-]{10,}" },
  { vendor: "Google OAuth refresh token", family: "cloud", pattern: "1//0[0-9A-Za-z_-]{20,}" },
  { vendor: "Google OAuth client secret", family: "cloud", pattern: "GOCSPX-[0-9A-Za-z_-]{6,}" },
  {
    vendor: "Azure AD client secret",
    family: "cloud",
    pattern: "[0-9A-Za-z_~.]{3}\\dQ~[0-9A-Za-z_~.-]{8,}",
  },
  { vendor: "DigitalOcean", family: "cloud", pattern: "do[opr]_v1_[0-9a-f]{8,}" },
  { vendor: "Heroku", family: "cloud", pattern: "HRKU-[0-9A-Za-z_-]{8,}" },
  { vendor: "Alibaba Cloud access key id", family: "cloud", pattern: "LTAI[0-9A-Za-z]{12,}" },
  {
    vendor: "Cloudflare origin CA key",
    family: "cloud",
    pattern: "v1\\.0-[0-9a-f]{24}-[0-9a-f]{8,}",
  },
  {
    vendor: "Fly.io",
    family: "cloud",
    pattern: "(?:fo1_[0-9A-Za-z_-]{8,}|fm[12][ar]?_[0-9A-Za-z+/=_-]{20,})",
  },
  { vendor: "Netlify", family: "cloud", pattern: "nfp_[0-9A-Za-z]{8,}" },
  { vendor: "Supabase", family: "cloud", pattern: "sbp_[0-9a-f]{8,}" },
  { vendor: "PlanetScale", family: "cloud", pattern: "pscale_(?:tkn|pw|oauth)_[0-9A-Za-z_.-]{8,}" },
  { vendor: "Databricks", family: "cloud", pattern: "dapi[0-9a-f]{32}" },
  {
    vendor: "Terraform Cloud",
    family: "cloud",
    pattern: "[0-9A-Za-z]{14}\\.atlasv1\\.[0-9A-Za-z_=-]{20,}",
  },
  { vendor: "Pulumi", family: "cloud", pattern: "pul-[0-9a-f]{40}" },
  {
    vendor: "Grafana",
    family: "cloud",
    pattern: "(?:glc_[0-9A-Za-z+/]{8,}={0,2}|glsa_[0-9A-Za-z_]{8,})",
  },
  { vendor: "New Relic", family: "cloud", pattern: "NR(?:AK|II|JS)-[0-9A-Z]{8,}" },
  { vendor: "Sentry", family: "cloud", pattern: "sntry[su]_[0-9A-Za-z+/=_]{20,}" },
  { vendor: "Dynatrace", family: "cloud", pattern: "dt0c01\\.[0-9A-Z]{24}\\.[0-9A-Z]{8,}" },
  { vendor: "Tailscale", family: "cloud", pattern: "tskey-[0-9A-Za-z_-]{8,}" },
  // chat
  { vendor: "Slack token", family: "chat", pattern: "(?:xox[abposre]|xapp)-[0-9A-Za-z-]{6,}" },
  { vendor: "Slack rotating token", family: "chat", pattern: "xoxe\\.xox[bp]-[0-9A-Za-z-]{6,}" },
  {
    vendor: "Slack webhook",
    family: "chat",
    pattern: "hooks\\.slack\\.com/(?:services|workflows|triggers)/[0-9A-Za-z_/]{8,}",
  },
  {
    vendor: "Discord bot token",
    family: "chat",
    pattern: "[MNO][0-9A-Za-z_-]{23,27}\\.[0-9A-Za-z_-]{6,7}\\.[0-9A-Za-z_-]{10,}",
  },
  {
    vendor: "Discord webhook",
    family: "chat",
    pattern: "discord(?:app)?\\.com/api/webhooks/\\d+/[0-9A-Za-z_-]{8,}",
  },
  {
    vendor: "Telegram bot token",
    family: "chat",
    pattern: "(?:bot)?\\d{8,10}:AA[0-9A-Za-z_-]{4,}",
  },
  {
    vendor: "Microsoft Teams webhook",
    family: "chat",
    pattern: "[0-9A-Za-z-]+\\.webhook\\.office\\.com/webhookb2/[0-9A-Za-z@/_-]{10,}",
  },
  { vendor: "Twilio API key", family: "chat", pattern: "SK[0-9a-fA-F]{32}" },
  // source hosting and CI
  { vendor: "GitHub", family: "source-hosting", pattern: "gh[pousr]_[0-9A-Za-z]{8,}" },
  {
    vendor: "GitHub fine-grained",
    family: "source-hosting",
    pattern: "github_pat_[0-9A-Za-z_]{8,}",
  },
  {
    vendor: "GitLab",
    family: "source-hosting",
    pattern: "gl(?:pat|dt|rt|ptt|cbt|oas|soat|ffct|imt|agent|ft)-[0-9A-Za-z_-]{8,}",
  },
  {
    vendor: "GitLab runner registration",
    family: "source-hosting",
    pattern: "GR1348941[0-9A-Za-z_-]{8,}",
  },
  {
    vendor: "Bitbucket app password",
    family: "source-hosting",
    pattern: "ATBB[0-9A-Za-z_=.-]{8,}",
  },
  { vendor: "Atlassian API token", family: "source-hosting", pattern: "ATATT3[0-9A-Za-z_=-]{8,}" },
  { vendor: "Docker Hub", family: "source-hosting", pattern: "dckr_pat_[0-9A-Za-z_-]{8,}" },
  { vendor: "CircleCI", family: "source-hosting", pattern: "CCIPAT_[0-9A-Za-z_]{8,}" },
  { vendor: "Buildkite", family: "source-hosting", pattern: "bkua_[0-9a-f]{8,}" },
  // payment
  { vendor: "Stripe", family: "payment", pattern: "(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{8,}" },
  { vendor: "Stripe webhook secret", family: "payment", pattern: "whsec_[0-9A-Za-z]{8,}" },
  {
    vendor: "Square",
    family: "payment",
    pattern: "(?:sq0(?:atp|csp|idp)-[0-9A-Za-z_-]{8,}|EAAA[0-9A-Za-z_-]{40,})",
  },
  {
    vendor: "Braintree",
    family: "payment",
    pattern: "access_token\\$(?:production|sandbox)\\$[0-9a-z]{8,}(?:\\$[0-9a-f]*)?",
  },
  { vendor: "Shopify", family: "payment", pattern: "shp(?:at|ca|pa|ss)_[0-9a-fA-F]{8,}" },
  { vendor: "Razorpay", family: "payment", pattern: "rzp_(?:live|test)_[0-9A-Za-z]{8,}" },
  { vendor: "Flutterwave", family: "payment", pattern: "FLWSECK(?:_TEST)?-[0-9A-Za-z]{8,}(?:-X)?" },
  {
    vendor: "Plaid",
    family: "payment",
    pattern: "access-(?:sandbox|development|production)-[0-9a-f-]{8,}",
  },
  // mail
  { vendor: "SendGrid", family: "mail", pattern: "SG\\.[0-9A-Za-z_-]{16,}(?:\\.[0-9A-Za-z_-]*)?" },
  { vendor: "Mailgun", family: "mail", pattern: "key-[0-9a-f]{32}" },
  { vendor: "Mailchimp", family: "mail", pattern: "[0-9a-f]{32}-us\\d{1,2}\\b" },
  {
    vendor: "Brevo (Sendinblue)",
    family: "mail",
    pattern: "x(?:keysib|smtpsib)-[0-9a-f]{8,}(?:-[0-9A-Za-z]*)?",
  },
  // package registries
  { vendor: "npm", family: "package-registry", pattern: "npm_[0-9A-Za-z]{8,}" },
  { vendor: "PyPI", family: "package-registry", pattern: "pypi-AgE[0-9A-Za-z_-]{8,}" },
  { vendor: "RubyGems", family: "package-registry", pattern: "rubygems_[0-9a-f]{8,}" },
  { vendor: "NuGet", family: "package-registry", pattern: "oy2[0-9a-z]{43}" },
  { vendor: "crates.io", family: "package-registry", pattern: "cio[0-9A-Za-z]{32}" },
  { vendor: "JFrog Artifactory", family: "package-registry", pattern: "AKCp[0-9][0-9A-Za-z]{20,}" },
  { vendor: "Clojars", family: "package-registry", pattern: "CLOJARS_[0-9a-z]{8,}" },
  // LLM providers
  {
    vendor: "Anthropic",
    family: "llm",
    pattern: "sk-ant-[0-9A-Za-z_-]{6,}",
  },
  {
    vendor: "OpenAI project/service key",
    family: "llm",
    pattern: "sk-(?:proj|svcacct|admin|None)-[0-9A-Za-z_-]{8,}",
  },
  { vendor: "OpenRouter", family: "llm", pattern: "sk-or-v1-[0-9a-f]{8,}" },
  { vendor: "OpenAI-style secret key", family: "llm", pattern: "sk-[0-9A-Za-z]{16,}" },
  { vendor: "Hugging Face", family: "llm", pattern: "hf_[A-Za-z]{16,}" },
  { vendor: "Groq", family: "llm", pattern: "gsk_[0-9A-Za-z]{8,}" },
  { vendor: "Replicate", family: "llm", pattern: "r8_[0-9A-Za-z]{20,}" },
  { vendor: "Perplexity", family: "llm", pattern: "pplx-[0-9A-Za-z]{8,}" },
  { vendor: "xAI", family: "llm", pattern: "xai-[0-9A-Za-z]{20,}" },
  { vendor: "LangSmith", family: "llm", pattern: "lsv2_(?:pt|sk)_[0-9a-f]{8,}(?:_[0-9a-f]*)?" },
  // secret managers
  { vendor: "HashiCorp Vault", family: "secret-manager", pattern: "hv[sbr]\\.[0-9A-Za-z_-]{8,}" },
  {
    vendor: "HashiCorp Vault (legacy)",
    family: "secret-manager",
    pattern: "s\\.[0-9A-Za-z]{24}\\b",
  },
  {
    vendor: "Doppler",
    family: "secret-manager",
    pattern: "dp\\.(?:pt|st|sa|ct|scim|audit)\\.(?:[0-9A-Za-z_-]{2,40}\\.)?[0-9A-Za-z]{8,}",
  },
  {
    vendor: "1Password service account",
    family: "secret-manager",
    pattern: "ops_eyJ[0-9A-Za-z_-]{8,}",
  },
  {
    vendor: "1Password secret key",
    family: "secret-manager",
    pattern: "A3-[0-9A-Z]{6}-[0-9A-Z]{6}-[0-9A-Z-]{5,}",
  },
  { vendor: "age secret key", family: "secret-manager", pattern: "AGE-SECRET-KEY-1[0-9A-Z]{4,}" },
  // other SaaS
  { vendor: "Linear", family: "saas", pattern: "lin_api_[0-9A-Za-z]{8,}" },
  { vendor: "Notion", family: "saas", pattern: "(?:ntn_[0-9A-Za-z]{8,}|secret_[0-9A-Za-z]{43})" },
  { vendor: "Figma", family: "saas", pattern: "figd_[0-9A-Za-z_-]{8,}" },
  { vendor: "Postman", family: "saas", pattern: "PMAK-[0-9a-f]{8,}(?:-[0-9a-f]*)?" },
  { vendor: "Airtable", family: "saas", pattern: "pat[0-9A-Za-z]{14}\\.[0-9a-f]{8,}" },
  { vendor: "Contentful", family: "saas", pattern: "CFPAT-[0-9A-Za-z_-]{8,}" },
  { vendor: "Mapbox", family: "saas", pattern: "sk\\.eyJ[0-9A-Za-z_.-]{8,}" },
  { vendor: "Typeform", family: "saas", pattern: "tfp_[0-9A-Za-z_-]{8,}" },
];

/** One rule for every vendor token: a token starts at a word boundary. */
export const VENDOR_RULES: Rule[] = [
  {
    class: "vendor-token",
    re: new RegExp(`(?<![0-9A-Za-z_])(?:${VENDOR_TOKENS.map((t) => t.pattern).join("|")})`, "g"),
  },
];
