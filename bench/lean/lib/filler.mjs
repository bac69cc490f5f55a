/**
 * Generated filler tools that fill the catalog up to its scale (2,000 tools) around the real servers'
 * lists. Deterministic (a seeded generator). Each filler server is a plausible SaaS or infrastructure
 * service with CRUD-like tools whose names and descriptions overlap the real ones on purpose (issues,
 * branches, files, commits, comments, search...), so search has realistic competitors.
 */

/** A small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVICES = [
  [
    'jira',
    'Jira',
    ['issue', 'project', 'sprint', 'board', 'comment', 'worklog', 'attachment', 'user', 'epic', 'version'],
  ],
  [
    'gitlab',
    'GitLab',
    [
      'merge request',
      'issue',
      'branch',
      'commit',
      'pipeline',
      'project',
      'file',
      'tag',
      'release',
      'comment',
    ],
  ],
  [
    'slack',
    'Slack',
    [
      'message',
      'channel',
      'user',
      'reaction',
      'reminder',
      'file',
      'thread',
      'bookmark',
      'usergroup',
      'status',
    ],
  ],
  [
    'linear',
    'Linear',
    [
      'issue',
      'project',
      'cycle',
      'team',
      'comment',
      'label',
      'roadmap',
      'document',
      'attachment',
      'workflow state',
    ],
  ],
  [
    'notion',
    'Notion',
    ['page', 'database', 'block', 'comment', 'user', 'property', 'template', 'workspace', 'view', 'link'],
  ],
  [
    'stripe',
    'Stripe',
    [
      'customer',
      'invoice',
      'payment intent',
      'subscription',
      'refund',
      'product',
      'price',
      'coupon',
      'charge',
      'payout',
    ],
  ],
  [
    'salesforce',
    'Salesforce',
    ['account', 'contact', 'lead', 'opportunity', 'case', 'task', 'campaign', 'report', 'dashboard', 'note'],
  ],
  [
    'zendesk',
    'Zendesk',
    ['ticket', 'user', 'organization', 'macro', 'view', 'comment', 'tag', 'group', 'article', 'trigger'],
  ],
  [
    'datadog',
    'Datadog',
    ['monitor', 'dashboard', 'metric', 'log', 'event', 'incident', 'host', 'downtime', 'SLO', 'notebook'],
  ],
  [
    'pagerduty',
    'PagerDuty',
    [
      'incident',
      'service',
      'schedule',
      'escalation policy',
      'on-call',
      'user',
      'team',
      'alert',
      'note',
      'maintenance window',
    ],
  ],
  [
    'kubernetes',
    'Kubernetes',
    ['pod', 'deployment', 'service', 'namespace', 'config map', 'secret', 'job', 'node', 'ingress', 'log'],
  ],
  [
    'aws',
    'AWS',
    [
      'S3 bucket',
      'S3 object',
      'EC2 instance',
      'Lambda function',
      'IAM role',
      'CloudWatch alarm',
      'DynamoDB table',
      'SQS queue',
      'SNS topic',
      'security group',
    ],
  ],
  [
    'postgres',
    'PostgreSQL',
    ['table', 'query', 'index', 'schema', 'row', 'view', 'role', 'extension', 'backup', 'connection'],
  ],
  [
    'confluence',
    'Confluence',
    [
      'page',
      'space',
      'comment',
      'attachment',
      'label',
      'blog post',
      'template',
      'user',
      'version',
      'restriction',
    ],
  ],
  [
    'sentry',
    'Sentry',
    ['issue', 'event', 'project', 'release', 'alert rule', 'team', 'comment', 'tag', 'environment', 'replay'],
  ],
  [
    'hubspot',
    'HubSpot',
    ['contact', 'company', 'deal', 'ticket', 'note', 'email', 'meeting', 'task', 'pipeline', 'owner'],
  ],
  [
    'twilio',
    'Twilio',
    [
      'SMS message',
      'call',
      'phone number',
      'recording',
      'conference',
      'queue',
      'verification',
      'conversation',
      'webhook',
      'usage record',
    ],
  ],
  [
    'figma',
    'Figma',
    [
      'file',
      'comment',
      'component',
      'style',
      'project',
      'team',
      'frame',
      'version',
      'image export',
      'variable',
    ],
  ],
  [
    'bitbucket',
    'Bitbucket',
    [
      'repository',
      'pull request',
      'branch',
      'commit',
      'issue',
      'pipeline',
      'comment',
      'webhook',
      'tag',
      'file',
    ],
  ],
  [
    'gdrive',
    'Google Drive',
    [
      'file',
      'folder',
      'permission',
      'comment',
      'revision',
      'shared drive',
      'spreadsheet',
      'document',
      'presentation',
      'shortcut',
    ],
  ],
];

const VERBS = [
  ['list', 'List', 'List {objs} in {svc}, with filters and pagination.', true],
  ['get', 'Get', 'Get one {obj} in {svc} by its id.', true],
  ['create', 'Create', 'Create a new {obj} in {svc}.', false],
  ['update', 'Update', 'Update fields of an existing {obj} in {svc}.', false],
  ['delete', 'Delete', 'Delete a {obj} from {svc}. This cannot be undone.', false],
  ['search', 'Search', 'Search {objs} in {svc} by text query.', true],
  ['archive', 'Archive', 'Archive a {obj} in {svc} so it no longer shows in lists.', false],
  ['export', 'Export', 'Export {objs} from {svc} as CSV or JSON.', true],
  ['count', 'Count', 'Count {objs} in {svc} matching a filter.', true],
  ['watch', 'Watch', 'Subscribe to changes of a {obj} in {svc}.', false],
];

const PARAMS = {
  list: [
    ['limit', 'integer', 'Most items to return'],
    ['cursor', 'string', 'Pagination cursor from the previous page'],
    ['filter', 'string', 'Filter expression'],
  ],
  get: [['id', 'string', 'Identifier of the {obj}']],
  create: [
    ['name', 'string', 'Name or title of the {obj}'],
    ['description', 'string', 'Longer text'],
    ['fields', 'object', 'Extra fields'],
  ],
  update: [
    ['id', 'string', 'Identifier of the {obj}'],
    ['fields', 'object', 'Fields to change'],
  ],
  delete: [
    ['id', 'string', 'Identifier of the {obj}'],
    ['confirm', 'boolean', 'Must be true'],
  ],
  search: [
    ['query', 'string', 'Text to search for'],
    ['limit', 'integer', 'Most results'],
  ],
  archive: [['id', 'string', 'Identifier of the {obj}']],
  export: [
    ['format', 'string', 'csv or json'],
    ['filter', 'string', 'Filter expression'],
  ],
  count: [['filter', 'string', 'Filter expression']],
  watch: [
    ['id', 'string', 'Identifier of the {obj}'],
    ['webhook_url', 'string', 'Where change events are posted'],
  ],
};

const plural = (w) =>
  /(s|x|ch|sh)$/.test(w) ? `${w}es` : /[^aeiou]y$/.test(w) ? `${w.slice(0, -1)}ies` : `${w}s`;
const snake = (w) => w.toLowerCase().replace(/[^a-z0-9]+/g, '_');

/**
 * Filler servers holding `total` tools in all: `{ id, tools }[]`, 20 services x up to 100 tools.
 * @param {number} total
 */
export function fillerServers(total, seed = 21) {
  const random = rng(seed);
  const servers = SERVICES.map(([id]) => ({ id, tools: [] }));
  const all = [];
  for (const [si, [, svc, objects]] of SERVICES.entries()) {
    for (const obj of objects) {
      for (const [verb, , template, readOnly] of VERBS) {
        const objs = plural(obj);
        const object =
          verb === 'list' || verb === 'search' || verb === 'export' || verb === 'count' ? objs : obj;
        const fill = (s) => s.replaceAll('{objs}', objs).replaceAll('{obj}', obj).replaceAll('{svc}', svc);
        const properties = {};
        for (const [p, type, d] of PARAMS[verb]) properties[p] = { type, description: fill(d) };
        all.push({
          si,
          tool: {
            name: `${verb}_${snake(object)}`,
            description: fill(template),
            inputSchema: { type: 'object', properties, required: Object.keys(properties).slice(0, 1) },
            ...(readOnly
              ? { annotations: { readOnlyHint: true } }
              : verb === 'delete'
                ? { annotations: { destructiveHint: true } }
                : {}),
          },
        });
      }
    }
  }
  // 20 x 10 x 10 = 2,000 candidates: keep a seeded random `total` of them.
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  for (const { si, tool } of all.slice(0, total)) servers[si].tools.push(tool);
  return servers.filter((s) => s.tools.length > 0);
}
