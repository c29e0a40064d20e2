/**
 * Timers that hold replies back (`slow-N@`). stop() releases them at once, so that the
 * replies still go out and no timer keeps the process alive.
 */
export class HeldReplies {
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        resolve();
      }, ms);
      this.waiting.set(timer, resolve);
    });
  }

  releaseAll(): void {
    for (const [timer, resolve] of this.waiting) {
      clearTimeout(timer);
      resolve();
    }
    this.waiting.clear();
  }
}
