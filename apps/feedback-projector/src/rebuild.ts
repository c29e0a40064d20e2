import { feedbackEntities, rebuildReadModel } from '@postwave/feedback/feature';
import { runTask } from '@postwave/platform/runtime';
import { projectorEnvSchema } from './projector.service';

/**
 * The `rebuild` entrypoint: drops the read model and replays the event stream from offset zero,
 * then exits. Run it with the projector scaled down (the Helm rebuild Job) for a clean cut-over.
 */
export function rebuildMain(): void {
  runTask(
    { name: 'feedback-projector-rebuild', envSchema: projectorEnvSchema, entities: [feedbackEntities] },
    process.env,
    rebuildReadModel,
  ).then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + '\n');
      process.exit(0);
    },
    (error: Error) => {
      process.stderr.write(`feedback-projector rebuild: ${error.message}\n`);
      process.exit(1);
    },
  );
}
