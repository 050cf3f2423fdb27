/**
 * The commit-subject check run by the `eslint` task: subjects of at most 72
 * characters, counted as characters (not bytes), after the commit the rule
 * starts from.
 */
import { execFileSync } from 'child_process';
import { MAX_SUBJECT, overlong, parseLog, SINCE } from '../../tools/scripts/check-commit-subjects';

describe('commit subjects', () => {
  test('at most 72 characters: 72 passes, 73 is reported', () => {
    expect(MAX_SUBJECT).toBe(72);
    const ok = { hash: 'a', subject: `feat: ${'x'.repeat(66)}` };
    const long = { hash: 'b', subject: `feat: ${'x'.repeat(67)}` };
    expect(ok.subject).toHaveLength(72);
    expect(overlong([ok, long])).toEqual([long]);
  });

  test('characters, not bytes or UTF-16 units, are counted', () => {
    const subject = `docs: ${'é'.repeat(60)} 𝄞𝄞𝄞𝄞𝄞`; // 6 + 60 + 1 + 5 = 72 characters
    expect([...subject]).toHaveLength(72);
    expect(subject.length).toBeGreaterThan(72);
    expect(overlong([{ hash: 'c', subject }])).toEqual([]);
  });

  test('git log lines are split at the first space: the rest is the subject', () => {
    expect(parseLog('0123abc fix: a b  c\n4567def Merge branch \'x\'\n')).toEqual([
      { hash: '0123abc', subject: 'fix: a b  c' },
      { hash: '4567def', subject: 'Merge branch \'x\'' },
    ]);
  });

  test('the commit the rule starts from is in this repository\'s history', () => {
    let known = true;
    try {
      execFileSync('git', ['cat-file', '-e', `${SINCE}^{commit}`], { stdio: 'ignore' });
    } catch {
      known = false;
    }
    // A shallow clone may lack it; a full one (CI's) has it.
    const shallow = execFileSync('git', ['rev-parse', '--is-shallow-repository'], { encoding: 'utf8' }).trim() === 'true';
    expect(known || shallow).toBe(true);
  });
});
