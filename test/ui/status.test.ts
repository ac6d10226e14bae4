// The session status on the page: Start/Step only from a resting state (never while steps are in flight:
// pausing, stepping, resetting), the form locked while runs may train, and a run's row saying what the
// session does (paused, not "active").
import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/train/protocol.ts';
import { canStart, canTranslate, configLocked, hasRuns, runStateText, STATUS_TEXT } from '../../src/ui/status.ts';

const ALL: RunStatus[] = ['idle', 'preparing', 'running', 'pausing', 'paused', 'stepping', 'resetting', 'done', 'stopped'];

describe('session status', () => {
  it('has a text for every status; "paused" only for paused', () => {
    for (const s of ALL) expect(STATUS_TEXT[s]).toBeTruthy();
    expect(ALL.filter((s) => STATUS_TEXT[s] === 'paused')).toEqual(['paused']);
    expect(STATUS_TEXT.pausing).toBe('pausing…');
  });

  it('Start and Step only from idle, paused, done or stopped', () => {
    expect(ALL.filter(canStart)).toEqual(['idle', 'paused', 'done', 'stopped']);
  });

  it('the form is locked while runs may still train; a model translates once prepared', () => {
    expect(ALL.filter(configLocked)).toEqual(['preparing', 'running', 'pausing', 'paused', 'stepping']);
    expect(ALL.filter(canTranslate)).toEqual(['running', 'pausing', 'paused', 'stepping', 'done', 'stopped']);
    expect(ALL.filter((s) => !hasRuns(s))).toEqual(['idle', 'resetting']);
  });
});

describe('runStateText', () => {
  it('an active run says what the session does', () => {
    expect(runStateText('active', 'running', null)).toBe('training');
    expect(runStateText('active', 'pausing', null)).toBe('pausing…');
    expect(runStateText('active', 'paused', null)).toBe('paused');
    expect(runStateText('active', 'stepping', null)).toBe('stepping…');
    for (const s of ALL) expect(runStateText('active', s, null)).not.toBe('active');
  });

  it('a finished, stopped or translate-only run says so whatever the session does', () => {
    // The run bar's words for the same states (the table and the bar agree).
    expect(runStateText('done', 'paused', null)).toBe(STATUS_TEXT.done);
    expect(runStateText('done', 'paused', null)).toBe('finished');
    expect(runStateText('stopped', 'running', null)).toBe(STATUS_TEXT.stopped);
    expect(runStateText('translate-only', 'paused', null)).toBe('translate only');
    expect(runStateText('stopped', 'running', 'weighted: training stopped at step 3: NaN')).toBe('stopped (NaN/Inf)');
    expect(runStateText('preparing', 'preparing', null)).toBe('preparing…');
  });
});
