import { Module } from '@nestjs/common';
import { FeedbackConsumer } from './feedback.consumer';
import { FeedbackController } from './feedback.controller';
import { FeedbackProjection } from './feedback-projection';

@Module({
  controllers: [FeedbackController, FeedbackConsumer],
  providers: [FeedbackProjection],
  exports: [FeedbackProjection],
})
export class FeedbackModule {}
