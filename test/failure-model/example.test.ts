/**
 * examples/failures.ts runs to completion (real scheduler, 20 ms backoff) and shows a failing
 * dependency, a quarantine and a release.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/failures.js';

describe('examples/failures.ts', () => {
  it('shows a dependency wait, a quarantine with its last error and attempts, and a release', async () => {
    const lines: string[] = [];
    const demo = await main((line) => lines.push(line));
    expect(demo.ready).toEqual({ mailer: 'True', shop: 'True' });
    expect(demo.quarantined).toMatchObject({ key: 'mailer', reason: 'quarantined', failures: 3, failureClass: 'transient' });
    expect(demo.quarantined?.lastError).toContain('refused the connection');
    expect(demo.shopReasons).toEqual(['DependencyNotReady', 'Converged']);
    expect(demo.released).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('Ready=False/Quarantined  Degraded=True/Quarantined');
    expect(text).toContain('[error] Key quarantined key=mailer');
    expect(text).toContain("loop.release('mailer') → true");
    expect(text).toContain('deployed: mailer, shop');
  });
});
