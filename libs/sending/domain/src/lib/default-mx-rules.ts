import type { MxRuleInput } from './mx-rule.schema';

/**
 * Shipped MX rules: conservative starting ceilings for the large mailbox providers, then a
 * generic rule. The adaptive controller learns each path's real limits below these. Numbers follow
 * common bulk-sender practice (providers do not publish theirs); override with MTA_MX_RULES_FILE.
 * The `.sim` domains are the mailbox simulator's provider personalities, so tests and demos meet
 * the same rules as real traffic.
 */
export const DEFAULT_MX_RULES: readonly MxRuleInput[] = [
  {
    id: 'google',
    description: 'Gmail and Google Workspace',
    mxHosts: ['*.google.com', '*.googlemail.com'],
    domains: ['gmail.sim', 'googlemail.sim'],
    maxConnections: 20,
    messagesPerConnection: 100,
    messagesPerHour: 180_000,
  },
  {
    id: 'microsoft-consumer',
    description: 'Outlook.com, Hotmail, Live, MSN',
    mxHosts: ['*.olc.protection.outlook.com', '*.hotmail.com'],
    domains: ['outlook.sim', 'hotmail.sim'],
    maxConnections: 10,
    messagesPerConnection: 50,
    messagesPerHour: 36_000,
  },
  {
    id: 'office365',
    description: 'Microsoft 365 tenants (Exchange Online Protection)',
    mxHosts: ['*.mail.protection.outlook.com', '*.mail.eo.outlook.com'],
    maxConnections: 20,
    messagesPerConnection: 100,
    messagesPerHour: 120_000,
  },
  {
    id: 'yahoo',
    description: 'Yahoo, AOL and other Yahoo-hosted domains',
    mxHosts: ['*.yahoodns.net', '*.yahoo.com', '*.aol.com'],
    domains: ['yahoo.sim', 'aol.sim'],
    maxConnections: 10,
    messagesPerConnection: 20,
    messagesPerHour: 36_000,
  },
  {
    id: 'apple',
    description: 'iCloud, me.com, mac.com',
    mxHosts: ['*.icloud.com', '*.mail.me.com', '*.apple.com'],
    maxConnections: 10,
    messagesPerConnection: 20,
    messagesPerHour: 18_000,
  },
  {
    id: 'gmx-webde',
    description: 'GMX and WEB.DE (United Internet)',
    mxHosts: ['*.gmx.net', '*.gmx.de', '*.web.de'],
    maxConnections: 10,
    messagesPerConnection: 50,
    messagesPerHour: 18_000,
  },
  {
    id: 'orange',
    description: 'Orange / Wanadoo (France)',
    mxHosts: ['*.orange.fr', '*.wanadoo.fr'],
    maxConnections: 5,
    messagesPerConnection: 10,
    messagesPerHour: 6_000,
  },
  {
    id: 'comcast',
    description: 'Comcast / Xfinity',
    mxHosts: ['*.comcast.net'],
    maxConnections: 5,
    messagesPerConnection: 20,
    messagesPerHour: 12_000,
  },
  {
    id: 'generic',
    description: 'Every other destination: one site per MX host',
    mxHosts: ['*'],
    maxConnections: 10,
    messagesPerConnection: 100,
    messagesPerHour: 36_000,
  },
];
