import { Controller, Get, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import type { MessageLog } from '@postwave/feedback/domain';
import { DATABASE } from '@postwave/platform/eventing';
import type { Database } from '@postwave/platform/persistence';
import { parseOrThrow } from '@postwave/contracts';
import { deliverySummary, FeedbackProjection, messageView } from './feedback-projection';
import { MessageQuerySchema } from './feedback.openapi';
import type { DeliveryRow } from './feedback.entities';

const notFound = (field: string, value: string) =>
  new NotFoundException({ error: `${field}: not found (got ${JSON.stringify(value)})`, field, value });

/** The read API: delivery list and KPIs, the delivery log, one message. */
@Controller('v1')
export class FeedbackController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(FeedbackProjection) private readonly projection: FeedbackProjection,
  ) {}

  @Get('deliveries')
  async deliveries() {
    const rows = await this.db.read((em) =>
      em.find<DeliveryRow>('FeedbackDelivery', { order: { createdAt: 'DESC' } }),
    );
    return rows.map(deliverySummary);
  }

  @Get('deliveries/:deliveryId')
  async delivery(@Param('deliveryId') deliveryId: string) {
    const row = await this.db.read((em) =>
      em.findOne<DeliveryRow>('FeedbackDelivery', { where: { deliveryId } }),
    );
    if (!row) throw notFound('deliveryId', deliveryId);
    return { ...deliverySummary(row), report: row.report ? (JSON.parse(row.report) as unknown) : null };
  }

  @Get('deliveries/:deliveryId/messages')
  async messages(@Param('deliveryId') deliveryId: string, @Query() query: Record<string, string>) {
    const { status, limit, offset } = parseOrThrow(MessageQuerySchema, query, 'query');
    const rows = await this.db.read((em) =>
      em.find<MessageLog>('FeedbackMessageLog', {
        where: { deliveryId, ...(status ? { status } : {}) },
        order: { messageId: 'ASC' },
        take: limit,
        skip: offset,
      }),
    );
    return rows.map(messageView);
  }

  @Get('messages/:messageId')
  async message(@Param('messageId') messageId: string) {
    const row = await this.db.read((em) =>
      em.findOne<MessageLog>('FeedbackMessageLog', { where: { messageId } }),
    );
    if (!row) throw notFound('messageId', messageId);
    return messageView(row);
  }

  /**
   * Replies no qualification rule matched ("Not defined"), most frequent first: the list to write
   * new rules from.
   */
  @Get('replies/unqualified')
  unqualified() {
    return this.db.read((em) =>
      em
        .createQueryBuilder()
        .select(['m.last_reply AS reply', 'COUNT(*) AS messages', 'MAX(m.updated_at) AS "lastSeen"'])
        .from('FeedbackMessageLog', 'm')
        .where("m.reason = 'NotDefined' AND m.last_reply IS NOT NULL")
        .groupBy('m.last_reply')
        .orderBy('messages', 'DESC')
        .limit(500)
        .getRawMany<{ reply: string; messages: number | string; lastSeen: string }>()
        .then((rows) => rows.map((row) => ({ ...row, messages: Number(row.messages) }))),
    );
  }

  /** Drops and replays the read model (the `rebuild` entrypoint does the same from the CLI). */
  @Post('admin/rebuild')
  rebuild() {
    return this.projection.rebuild();
  }
}
