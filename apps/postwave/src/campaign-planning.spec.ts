import { http, waitFor, type DeliverySummary, type MessageRow } from '@postwave/testing';
import { startEmbedded, type EmbeddedUnderTest } from './embedded.test-support';

interface Plan {
  status: string;
  report?: {
    targeted: number;
    toDeliver: number;
    excluded: number;
    exclusionsByReason: Record<string, number>;
    findings: { rule: string; level: string; message: string }[];
    blocking: boolean;
    waves?: { index: number; offsetHours: number; size: number }[];
  };
  failureReason?: string;
  startAt?: string;
  contactAt?: string;
}

const content = {
  sender: { address: 'news@shop.example', name: 'Shop' },
  subject: 'Hello {{ firstName }}',
  html: '<p>Hi {{ firstName }}</p><a href="{{ unsubscribeUrl }}">Unsubscribe</a>',
};

const CSV = [
  'email,firstName,country,age',
  'ada@campaign.sim,Ada,SE,36',
  'grace@campaign.sim,Grace,NO,45',
  'not-an-address,X,SE,20',
  'alan@campaign.sim,Alan,SE,41',
  '"linus@campaign.sim","Linus, the elder",FI,55',
  ',Nobody,SE,30',
  'margaret@campaign.sim,Margaret,SE,17',
].join('\r\n');

/**
 * Delivery planning as Campaign does it, through the HTTP API of the embedded default: audiences
 * imported from files, consent, typologies (filtering, pressure, control rules), target filter,
 * limit and control group, the lifecycle with edits and re-analysis, proofs, waves and contact dates.
 */
describe('delivery planning through the HTTP API', () => {
  let app: EmbeddedUnderTest;
  const url = () => app.service.url;
  const plan = async (id: string) => (await http<Plan>('GET', `${url()}/v1/deliveries/${id}/plan`)).body;
  const summary = async (id: string) =>
    (await http<DeliverySummary & { report: Plan['report'] }>('GET', `${url()}/v1/deliveries/${id}`)).body;
  const messages = async (id: string, status?: string) =>
    (
      await http<MessageRow[]>(
        'GET',
        `${url()}/v1/deliveries/${id}/messages${status ? `?status=${status}` : ''}`,
      )
    ).body;
  const upload = (audience: string, body: string, query: string, type = 'text/csv') =>
    fetch(`${url()}/v1/audiences/${audience}/import?${query}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));
  const create = (body: Record<string, unknown>) =>
    http<Record<string, unknown>>('POST', `${url()}/v1/deliveries`, body);

  beforeAll(async () => {
    app = await startEmbedded({ prefix: 'planning', domain: 'campaign.sim' });
  });
  afterAll(() => app?.close());

  it('serves the OpenAPI document generated from the contracts', async () => {
    const doc = await http<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      `${url()}/v1/openapi.json`,
    );
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths['/v1/audiences/{name}/import'] ?? {})).toEqual(['post']);
    expect(doc.body.paths['/v1/deliveries/{deliveryId}']).toHaveProperty('patch');
  });

  describe('audiences', () => {
    it('rejects a file with bad lines as a whole, naming each line, and creates nothing', async () => {
      const rejected = await upload('customers', CSV, 'onError=reject');
      expect(rejected.status).toBe(422);
      expect(rejected.body['field']).toBe('line 4');
      expect(rejected.body['report']).toMatchObject({
        status: 'rejected',
        badLines: 2,
        imported: 0,
        errors: [
          { line: 4, reason: 'invalid address syntax: "not-an-address"' },
          { line: 7, reason: 'address is missing' },
        ],
      });
      expect((await http('GET', `${url()}/v1/audiences/customers`)).status).toBe(404);
    });

    it('imports the good lines when asked to skip the bad ones; columns become attributes', async () => {
      const imported = await upload('customers', CSV, 'onError=skip');
      expect(imported.status).toBe(201);
      expect(imported.body).toMatchObject({
        status: 'imported',
        lines: 7,
        imported: 5,
        badLines: 2,
        members: 5,
        columns: ['firstName', 'country', 'age'],
      });
      const members = await http<{ address: string; attributes: Record<string, string> }[]>(
        'GET',
        `${url()}/v1/audiences/customers/members`,
      );
      expect(members.body[3]).toEqual({
        address: 'linus@campaign.sim',
        attributes: { firstName: 'Linus, the elder', country: 'FI', age: '55' },
      });
    });

    it('merges an NDJSON file: new addresses are added, known ones updated, IDN domains normalized', async () => {
      const ndjson = [
        '{"email":"ada@campaign.sim","firstName":"Ada L.","country":"SE","age":37}',
        '{"email":"edsger@CAMPAIGN.sim","firstName":"Edsger","country":"NL","age":70}',
        '{"email":"zoe@exämple.se","firstName":"Zoë","country":"SE","age":30}',
      ].join('\n');
      const merged = await upload('customers', ndjson, 'mode=merge', 'application/x-ndjson');
      expect(merged.body).toMatchObject({ status: 'imported', imported: 3, members: 7 });
      const members = await http<{ address: string; attributes: Record<string, unknown> }[]>(
        'GET',
        `${url()}/v1/audiences/customers/members?limit=10`,
      );
      expect(members.body.map((m) => m.address)).toEqual([
        'ada@campaign.sim',
        'grace@campaign.sim',
        'alan@campaign.sim',
        'linus@campaign.sim',
        'margaret@campaign.sim',
        'edsger@campaign.sim',
        'zoe@xn--exmple-cua.se',
      ]);
      expect(members.body[0]?.attributes).toEqual({ firstName: 'Ada L.', country: 'SE', age: 37 });
    });
  });

  it('analyses an audience with a filter, consent, a typology filtering rule and a control group', async () => {
    await http('PUT', `${url()}/v1/addresses/alan@campaign.sim/consent`, {
      status: 'unsubscribed',
      audience: 'customers',
    });
    await http('PUT', `${url()}/v1/addresses/grace@campaign.sim/consent`, { status: 'denylisted' });
    const typology = await http('PUT', `${url()}/v1/typologies/newsletter`, {
      rules: [
        {
          kind: 'control',
          name: 'Unsubscription link approval',
          check: 'unsubscribe-link',
          level: 'warning',
        },
        { kind: 'filtering', name: 'No Finland', expression: 'country == "FI"' },
        { kind: 'control', name: 'Big sends', expression: 'toDeliver > 100', level: 'warning' },
      ],
    });
    expect(typology.status).toBe(200);

    const created = await create({
      deliveryId: 'adults',
      content,
      typology: 'newsletter',
      target: {
        audience: 'customers',
        filter: 'age >= 18 and domain == "campaign.sim"',
        controlGroup: { size: 1 },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body['delivery']).toMatchObject({ status: 'PendingConfirmation' });
    const report = (await plan('adults')).report!;
    // Margaret (17) and Zoë (other domain) are outside the filter: not targeted at all.
    expect(report).toMatchObject({
      targeted: 5,
      toDeliver: 1,
      excluded: 4,
      exclusionsByReason: { Unsubscribed: 1, Denylisted: 1, ExcludedByRule: 1, ControlAddress: 1 },
      blocking: false,
      typology: 'newsletter',
    });
    const log = await http<{ address: string; reason: string | null; rule: string | null }[]>(
      'GET',
      `${url()}/v1/deliveries/adults/recipients`,
    );
    expect(log.body.find((r) => r.address === 'linus@campaign.sim')).toMatchObject({
      reason: 'ExcludedByRule',
      rule: 'No Finland',
    });
    // The read model shows the exclusions as Ignored log rows with their reason.
    await waitFor('exclusions projected', async () =>
      (await messages('adults', 'Ignored')).length === 4 ? true : undefined,
    );
  });

  it('applies a pressure rule across deliveries: no more than one message a week per recipient', async () => {
    await http('PUT', `${url()}/v1/typologies/weekly`, {
      rules: [{ kind: 'pressure', name: 'One a week', maxMessages: 1, periodDays: 7 }],
    });
    await upload('pressured', 'email,firstName\np1@campaign.sim,P1\np2@campaign.sim,P2', 'format=csv');
    const first = await create({
      deliveryId: 'pressure-1',
      content,
      typology: 'weekly',
      approvalMode: 'Automatic',
      target: { audience: 'pressured' },
    });
    expect(first.body['delivery']).toMatchObject({ status: 'InProgress' });
    await upload('pressured', 'email,firstName\np3@campaign.sim,P3', 'format=csv&mode=merge');
    await create({ deliveryId: 'pressure-2', content, typology: 'weekly', target: { audience: 'pressured' } });
    expect((await plan('pressure-2')).report).toMatchObject({
      targeted: 3,
      toDeliver: 1,
      exclusionsByReason: { ExcludedAfterArbitration: 2 },
    });
  });

  it('refuses a typology whose rule does not compile, naming the rule and the value', async () => {
    const bad = await http<Record<string, unknown>>('PUT', `${url()}/v1/typologies/broken`, {
      rules: [{ kind: 'filtering', name: 'oops', expression: 'country ==' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'rules[0].expression', value: 'country ==' });
  });

  it('keeps a random sample with "limit delivery" and excludes the rest as Target limited in size', async () => {
    await create({
      deliveryId: 'limited',
      content,
      target: { audience: 'customers', limit: 2 },
    });
    expect((await plan('limited')).report).toMatchObject({
      toDeliver: 2,
      exclusionsByReason: expect.objectContaining({ TargetLimited: 3 }),
    });
  });

  it('makes an edit void the analysis: confirmation waits for a new one', async () => {
    await create({
      deliveryId: 'edited',
      content,
      recipients: [{ address: 'ada@campaign.sim', attributes: { firstName: 'Ada' } }],
    });
    expect((await plan('edited')).status).toBe('PendingConfirmation');
    const edited = await http('PATCH', `${url()}/v1/deliveries/edited`, {
      content: { ...content, subject: 'Hey {{ firstName }}' },
    });
    expect(edited.status).toBe(200);
    expect((await plan('edited')).status).toBe('BeingEdited');
    const refused = await http<Record<string, unknown>>('POST', `${url()}/v1/deliveries/edited/confirm`, {});
    expect(refused.status).toBe(409);
    expect(refused.body['error']).toMatch(/BeingEdited, not pending confirmation/);
    expect((await http('POST', `${url()}/v1/deliveries/edited/analyze`, {})).status).toBe(201);
    expect((await plan('edited')).status).toBe('PendingConfirmation');
  });

  it('fails a delivery whose analysis finds an error, and refuses to confirm it with the reason', async () => {
    await create({
      deliveryId: 'broken-waves',
      content,
      validityHours: 24,
      waves: { kind: 'same-size', size: 1, periodHours: 30 },
      recipients: [
        { address: 'ada@campaign.sim', attributes: { firstName: 'Ada' } },
        { address: 'grace2@campaign.sim', attributes: { firstName: 'Grace' } },
      ],
    });
    const failed = await plan('broken-waves');
    expect(failed.status).toBe('Failed');
    expect(failed.failureReason).toMatch(/Wave scheduling check/);
    const refused = await http<Record<string, unknown>>(
      'POST',
      `${url()}/v1/deliveries/broken-waves/confirm`,
      {},
    );
    expect(refused.status).toBe(409);
    expect(refused.body['error']).toMatch(
      /delivery is Failed: the analysis has blocking errors: .*Wave scheduling check/,
    );
  });

  it('sends proofs with a numbered subject prefix, outside the KPIs', async () => {
    const proof = await http('POST', `${url()}/v1/deliveries/edited/proofs`, {
      recipients: [{ address: 'reviewer@campaign.sim', attributes: { firstName: 'Rita' } }],
    });
    expect(proof.status).toBe(201);
    const received = await waitFor('the proof to arrive', async () =>
      app.simulator.accepted.find((m) => m.recipients.includes('reviewer@campaign.sim')),
    );
    expect(received.subject).toBe('Proof #1 Hey Rita');
    const tooMany = await http<Record<string, unknown>>('POST', `${url()}/v1/deliveries/edited/proofs`, {
      recipients: Array.from({ length: 101 }, (_, i) => `r${i}@campaign.sim`),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body['error']).toMatch(/101 proof recipients; at most 100/);
    expect((await summary('edited')).kpis.toDeliver).toBe(0);
  });

  it('sends in waves: the first wave goes now, later waves stay Pending', async () => {
    const recipients = Array.from({ length: 6 }, (_, i) => ({
      address: `wave${i}@campaign.sim`,
      attributes: { firstName: `W${i}` },
    }));
    await create({
      deliveryId: 'waves',
      content,
      approvalMode: 'Automatic',
      waves: {
        kind: 'calendar',
        waves: [
          { delayHours: 0, size: '50%' },
          { delayHours: 24, size: '50%' },
        ],
      },
      recipients,
    });
    expect((await plan('waves')).report?.waves).toEqual([
      { index: 0, offsetHours: 0, size: 3 },
      { index: 1, offsetHours: 24, size: 3 },
    ]);
    await waitFor('the first wave to be sent', async () =>
      (await summary('waves')).kpis.success === 3 ? true : undefined,
    );
    expect((await summary('waves')).state).toBe('InProgress');
    expect((await messages('waves', 'Pending')).map((m) => m.address).sort()).toEqual([
      'wave3@campaign.sim',
      'wave4@campaign.sim',
      'wave5@campaign.sim',
    ]);
  });

  it('waits for the contact date: analysis at the date, or analysis now and start at the date', async () => {
    await create({
      deliveryId: 'later-analysis',
      content,
      recipients: [{ address: 'ada@campaign.sim', attributes: { firstName: 'Ada' } }],
      schedule: { contactDate: '2099-06-01T09:00', timeZone: 'Europe/Stockholm', mode: 'analyze-at-date' },
    });
    expect(await plan('later-analysis')).toMatchObject({
      status: 'TargetingPending',
      contactAt: '2099-06-01T07:00:00.000Z',
    });

    await create({
      deliveryId: 'later-start',
      content,
      recipients: [{ address: 'later@campaign.sim', attributes: { firstName: 'Later' } }],
      schedule: { contactDate: '2099-06-01T09:00:00Z', mode: 'start-at-date' },
    });
    expect((await http('POST', `${url()}/v1/deliveries/later-start/confirm`, {})).status).toBe(201);
    expect(await plan('later-start')).toMatchObject({
      status: 'Pending',
      startAt: '2099-06-01T09:00:00.000Z',
    });
    await waitFor('the message to be projected', async () =>
      (await messages('later-start')).length === 1 ? true : undefined,
    );
    expect((await messages('later-start'))[0]?.status).toBe('Pending');
    expect((await summary('later-start')).state).toBe('Pending');
  });
});
