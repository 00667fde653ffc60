/**
 * What the operator must look at and the coordinator cannot fix by itself (a scheduled finalization without a usable
 * beacon, say): shown in the status and said once in the log when it is raised or changes, and when it clears.
 */
export class Alerts {
  private readonly raised = new Map<string, string>();

  constructor(private readonly say: (line: string) => void) {}

  raise(topic: string, message: string): void {
    if (this.raised.get(topic) === message) return;
    this.raised.set(topic, message);
    this.say(`alert: ${message}`);
  }

  clear(topic: string, resolution: string): void {
    if (this.raised.delete(topic)) this.say(`alert cleared: ${resolution}`);
  }

  list(): string[] {
    return [...this.raised.values()];
  }
}
