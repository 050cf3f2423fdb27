/**
 * Fails when a commit subject is longer than {@link MAX_SUBJECT} characters
 * (the conventional limit: `git log --oneline`, GitHub and the changelog
 * show a subject whole up to it). Run by the `eslint` task; it reads the
 * commits after {@link SINCE}, the last commit before the rule, whose history
 * is left as it was merged. A clone without that commit (a shallow one) checks
 * the commits it has.
 */
import { execFileSync } from 'child_process';
import { fail, ROOT } from './check-support';

/** The longest subject allowed, in characters. */
export const MAX_SUBJECT = 72;

/** The last commit before the rule: its history is not checked. */
export const SINCE = 'e1f3b686fdeeebabdd0bfb12216b2683542c16f4';

/** One commit: its hash and subject. */
export interface Commit {
  readonly hash: string;
  readonly subject: string;
}

/** The commits whose subject is longer than `max` characters (counted as characters, not bytes). */
export function overlong(commits: readonly Commit[], max: number = MAX_SUBJECT): Commit[] {
  return commits.filter((commit) => [...commit.subject].length > max);
}

/** The commits of `git log` `range`, one per line as `<hash> <subject>`. */
export function parseLog(output: string): Commit[] {
  return output.split('\n').filter(Boolean).map((line) => {
    const space = line.indexOf(' ');
    return { hash: line.slice(0, space), subject: line.slice(space + 1) };
  });
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

if (require.main === module) {
  let known = true;
  try {
    git('cat-file', '-e', `${SINCE}^{commit}`);
  } catch {
    known = false;
  }
  const commits = parseLog(git('log', '--format=%H %s', ...(known ? [`${SINCE}..HEAD`] : ['HEAD'])));
  const found = overlong(commits);
  if (found.length > 0) {
    for (const commit of found) {
      console.error(`${commit.hash.slice(0, 7)}: ${[...commit.subject].length} characters: ${commit.subject}`);
    }
    fail(`${found.length} commit subject(s) longer than ${MAX_SUBJECT} characters: reword them (git rebase -i) before they land`);
  }
  console.log(`${commits.length} commit subject(s) checked: none longer than ${MAX_SUBJECT} characters.`);
}
