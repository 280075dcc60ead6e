import type { AbTests } from './abtests.js';
import type { RoutedTest } from './router.js';

/**
 * The running tests of this process, by model, refreshed every `intervalMs` (tests changed by another
 * process or replica are followed) and at once after a change made here. The predict path reads it
 * synchronously: routing never waits on the database.
 */
export class AbTestRouting {
  private byModel = new Map<string, RoutedTest>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly abtests: AbTests,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  testFor(model: string): RoutedTest | undefined {
    return this.byModel.get(model);
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.abtests
      .routing()
      .then((tests) => {
        this.byModel = new Map(tests.map((t) => [t.model, t]));
      })
      .catch((err: unknown) => this.onError(err))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  async start(intervalMs: number): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
