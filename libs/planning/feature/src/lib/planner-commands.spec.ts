import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContractViolation, TOPICS, type Envelope } from '@postwave/contracts';
import { EnvelopeFactory, openPlatform, type Platform } from '@postwave/platform/eventing';
import { createLogger } from '@postwave/platform/observability';
import { PlannerCommands, type CommandOutcome, type IncomingCommand } from './planner-commands';
import { PlannerJobs } from './planner-jobs';
import { PLANNER_GROUP, PlannerConsumer } from './planner.consumer';
import { planningEntities } from './planning.entities';

const logger = createLogger({ service: 'planning-feature-test', level: 'silent' });

const deliveryData = (deliveryId: string, addresses: readonly string[] = ['ada@example.com']) => ({
  deliveryId,
  content: {
    sender: { address: 'news@shop.example', name: 'Shop' },
    subject: 'Hello {{ firstName }}',
    text: 'Hi {{ firstName }}',
  },
  recipients: addresses.map((address) => ({ address, attributes: { firstName: 'Ada' } })),
});

const create = (commandId: string, data: unknown) => ({
  commandId,
  type: 'postwave.command.create-delivery.v1',
  data,
});
const confirm = (commandId: string, deliveryId: string) => ({
  commandId,
  type: 'postwave.command.confirm-delivery.v1',
  data: { deliveryId },
});

describe('planner commands on the embedded platform', () => {
  let dir: string;
  let platform: Platform;
  let commands: PlannerCommands;
  let jobs: PlannerJobs;
  /** A command, then whatever background work it started (analysis, emission). */
  const run = async (command: IncomingCommand) => {
    const outcome = await commands.execute(command);
    if (outcome.accepted) await jobs.kick(outcome.deliveryId);
    return outcome;
  };

  const loggedEvents = async (): Promise<Envelope[]> => {
    const rows: Array<{ envelope: string }> = await platform.db.read((em) =>
      em.query('SELECT envelope FROM event_log ORDER BY seq'),
    );
    return rows.map((row) => JSON.parse(row.envelope) as Envelope);
  };
  const deliveryRows = (): Promise<Array<{ delivery_id: string; status: string }>> =>
    platform.db.read((em) =>
      em.query('SELECT delivery_id, status FROM planner_delivery ORDER BY delivery_id'),
    );

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-planner-'));
    platform = await openPlatform({
      mode: { kind: 'embedded', sqlitePath: join(dir, 'planner.sqlite') },
      clientId: 'planner-test',
      instance: 'test',
      logger,
      entities: [planningEntities],
    });
    commands = new PlannerCommands(platform.db, platform.eventLog, logger);
    jobs = new PlannerJobs(platform.db, commands, logger);
  });

  afterEach(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a rejected command', () => {
    it('records a command-rejected event naming the bad field and value, and creates no delivery', async () => {
      const outcome = await commands.execute(
        create('c-bad', { ...deliveryData('d-bad'), validityHours: 'soon' }),
      );

      expect(outcome).toMatchObject({
        accepted: false,
        code: 'invalid',
        field: 'data.validityHours',
        value: 'soon',
      });
      const events = await loggedEvents();
      expect(events.map((e) => e.type)).toEqual(['postwave.delivery.command-rejected.v1']);
      expect(events[0]).toMatchObject({
        subject: 'd-bad',
        causationid: 'c-bad',
        data: {
          deliveryId: 'd-bad',
          commandId: 'c-bad',
          commandType: 'postwave.command.create-delivery.v1',
          field: 'data.validityHours',
          value: 'soon',
        },
      });
      expect(await deliveryRows()).toEqual([]);
    });

    it('records a not-found rejection for confirming an unknown delivery', async () => {
      const outcome = await commands.execute(confirm('c-nope', 'nope'));

      expect(outcome).toMatchObject({
        accepted: false,
        code: 'not-found',
        field: 'deliveryId',
        value: 'nope',
      });
      const events = await loggedEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'postwave.delivery.command-rejected.v1',
        subject: 'nope',
        data: { commandId: 'c-nope', field: 'deliveryId', value: 'nope' },
      });
      expect(await deliveryRows()).toEqual([]);
    });

    it('records a conflict for a second confirmation and leaves the delivery and its messages as they were', async () => {
      await run(create('c-create', deliveryData('d-twice')));
      await run(confirm('c-confirm-1', 'd-twice'));
      const before = await loggedEvents();
      const stateBefore = await commands.deliveryState('d-twice');

      const outcome = await commands.execute(confirm('c-confirm-2', 'd-twice'));

      expect(outcome).toMatchObject({
        accepted: false,
        code: 'conflict',
        field: 'deliveryId',
        value: 'd-twice',
      });
      const after = await loggedEvents();
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.slice(before.length)).toEqual([
        expect.objectContaining({
          type: 'postwave.delivery.command-rejected.v1',
          data: expect.objectContaining({
            commandId: 'c-confirm-2',
            field: 'deliveryId',
            value: 'd-twice',
            reason: expect.stringContaining('not pending confirmation'),
          }),
        }),
      ]);
      expect(after.filter((e) => e.type === 'postwave.message.planned.v1')).toHaveLength(1);
      expect(await commands.deliveryState('d-twice')).toEqual(stateBefore);
    });
  });

  it('answers a repeated command id with the first outcome and appends its events once', async () => {
    const first = await commands.execute(create('c-once', deliveryData('d-once')));
    const eventsAfterFirst = await loggedEvents();
    // Same id, different payload: the stored outcome wins and nothing is decided again.
    const again = await commands.execute(
      create('c-once', deliveryData('d-once', ['grace@example.com', 'alan@example.com'])),
    );

    expect(first.accepted).toBe(true);
    expect(again).toEqual(first);
    expect(await loggedEvents()).toEqual(eventsAfterFirst);
    expect(eventsAfterFirst.map((e) => e.type)).toEqual([
      'postwave.delivery.created.v1',
      'postwave.delivery.analysis-started.v1',
    ]);
    expect(await deliveryRows()).toEqual([{ delivery_id: 'd-once', status: 'Analysis' }]);
  });

  it('returns the first outcome to two concurrent deliveries of one command id', async () => {
    const outcomes: CommandOutcome[] = await Promise.all([
      commands.execute(create('c-race', deliveryData('d-race'))),
      commands.execute(create('c-race', deliveryData('d-race'))),
    ]);

    expect(outcomes[1]).toEqual(outcomes[0]);
    expect((await loggedEvents()).filter((e) => e.type === 'postwave.delivery.created.v1')).toHaveLength(1);
  });

  it('excludes an address quarantined through the address stream from the next analysis', async () => {
    const factory = new EnvelopeFactory('/tests/bounce-qualifier');
    await platform.eventLog.publish(
      factory.wrap(
        [
          {
            type: 'postwave.address.quarantined.v1',
            subject: 'gone@example.com',
            data: {
              address: 'gone@example.com',
              failureType: 'Hard',
              reason: 'UserUnknown',
              messageId: 'm-old',
              deliveryId: 'd-old',
              at: '2026-03-01T10:00:00.000Z',
            },
          },
        ],
        { correlationId: 'corr-q', causationId: 'm-old' },
      ),
    );
    const consumer = new PlannerConsumer(commands);
    const handled = await platform.eventLog.replay({
      group: PLANNER_GROUP,
      topics: [TOPICS.addressEvents],
      handle: (event, tx) => consumer.addressStatus({ event, tx }),
    });
    expect(handled).toBe(1);

    const outcome = await run(
      create('c-after-quarantine', deliveryData('d-q', ['ada@example.com', 'gone@EXAMPLE.com'])),
    );

    expect(outcome.accepted).toBe(true);
    expect(await commands.deliveryState('d-q')).toMatchObject({
      status: 'PendingConfirmation',
      report: { targeted: 2, toDeliver: 1, excluded: 1, exclusionsByReason: { Quarantined: 1 } },
    });
    const excluded = (await loggedEvents()).filter((e) => e.type === 'postwave.message.excluded.v1');
    expect(excluded.map((e) => e.data)).toEqual([
      expect.objectContaining({ address: 'gone@EXAMPLE.com', reason: 'Quarantined', reasonCode: 9 }),
    ]);
    expect(await commands.addressStatus('gone@example.com')).toBe('Quarantined');
    expect(await commands.addressStatus('ada@example.com')).toBeNull();
  });

  it('cancels what was not handed to the MTA when the delivery is stopped during the handover', async () => {
    await run(create('c-stop-create', deliveryData('d-stop', ['ada@example.com', 'grace@example.com'])));
    // Confirmed, but stopped before the emission job ran: nothing was handed over yet.
    expect((await commands.execute(confirm('c-stop-confirm', 'd-stop'))).accepted).toBe(true);
    const stop = {
      commandId: 'c-stop',
      type: 'postwave.command.stop-delivery.v1',
      data: { deliveryId: 'd-stop' },
    };
    expect((await commands.execute(stop)).accepted).toBe(true);
    await jobs.kick('d-stop');

    const events = await loggedEvents();
    expect(events.filter((e) => e.type === 'postwave.message.planned.v1')).toEqual([]);
    expect(
      events
        .filter((e) => e.type === 'postwave.message.canceled.v1')
        .map((e) => (e.data as { address: string }).address),
    ).toEqual(['ada@example.com', 'grace@example.com']);
    // Done once: another pass finds nothing left to cancel.
    await jobs.kick('d-stop');
    expect((await loggedEvents()).length).toBe(events.length);
  });

  it('refuses an invalid address status lookup with a contract violation naming the address', async () => {
    const lookup = commands.addressStatus('not-an-address');

    await expect(lookup).rejects.toBeInstanceOf(ContractViolation);
    await expect(lookup).rejects.toMatchObject({ field: 'address', value: 'not-an-address' });
  });
});
