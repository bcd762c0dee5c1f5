// "Submit to Challenge…": a tag (from the tree, the palette, or the push that just finished) goes to
// an evaluation queue by digest. The queues open now with the round's end and what is left of the
// limit; individual or team with each member's eligibility; a confirmation that shows the digest and
// the queue's instructions; the checks before anything is sent (core/challenges/presubmit); then the
// receipt and the submission in the Submissions view.
import * as vscode from 'vscode';
import { AccountSnapshot, NotSignedInError } from '../host/session';
import { whileLinked } from '../core/accounts';
import { limitUsage, currentRound, tightestLimit, type LimitUsage } from '../core/challenges/limits';
import { isBlocking, presubmitProblems, type PresubmitProblem } from '../core/challenges/presubmit';
import {
  finalNotification,
  limitSentence,
  limitWindow,
  memberSentence,
  problemSentence,
  roundEndSentence,
  teamSentence,
} from '../core/challenges/sentences';
import { publicScores } from '../core/challenges/annotations';
import type { SubmissionStatus } from '../core/synapse/evaluations';
import type { PushedPlatform } from '../core/docker/pushedManifest';
import { parseImageReference, NameError } from '../core/naming';
import { SynapseError } from '../core/synapse/errors';
import type { Evaluation, EvaluationRound, Submission, TeamSubmissionEligibility } from '../core/synapse/evaluations';
import { DockerCommit, DockerRepository, isDockerRepository } from '../core/synapse/types';
import type { TagNode } from '../core/tree/nodes';
import type { Services } from '../services';
import type { CommandId } from '../commands/ids';
import { SUBMISSIONS_VIEW_ID } from '../commands/ids';
import { abortSignalFor, isCancellation, showError } from '../ui/errors';
import { commandStep, notify, type NextStep, withNotificationProgress } from '../ui/notify';
import { pickWhileLoading } from '../ui/pickWhileLoading';

/** What is submitted: one tag of a managed repository, by the digest Synapse lists for it. */
export interface SubmitTarget {
  repository: DockerRepository;
  tag: string;
  /** The digest to submit (the tag's listed digest, or what a push just reported). */
  digest: string;
}

/** A non-interactive way in (after a push, tests): the repository by synID, the tag and optionally the digest. */
export interface SubmitArgument {
  repositoryId: string;
  tag: string;
  digest?: string;
}

export const SUBMIT_COMMAND = 'synapseDocker.submitToChallenge' satisfies CommandId;
/** The focus command VS Code makes for the Submissions view. */
export const SHOW_SUBMISSIONS_COMMAND = `${SUBMISSIONS_VIEW_ID}.focus` as const;

/** A queue the user may submit to, with what the picker shows; `round` is absent when none is open now. */
interface QueueChoice {
  evaluation: Evaluation;
  round?: EvaluationRound;
  /** The last round that ended (for "closed" queues). */
  lastRound?: EvaluationRound;
  usage: LimitUsage[];
}

type SubmitAs =
  | { kind: 'individual' }
  | { kind: 'team'; teamId: string; teamName: string; eligibility: TeamSubmissionEligibility; contributors: string[] };

/** Receives each created submission (the Submissions view). */
export interface SubmissionSink {
  added(evaluation: Evaluation, submission: Submission): void;
}

export async function submitToChallenge(services: Services, sink: SubmissionSink, argument?: unknown): Promise<Submission | undefined> {
  try {
    const snapshot = await services.session.snapshot();
    const target = await resolveTarget(services, snapshot, argument);
    if (!target) return undefined;
    const queue = await pickQueue(services, snapshot, target);
    if (!queue) return undefined;
    const as = await pickSubmitAs(services, snapshot, queue);
    if (!as) return undefined;
    if (!(await confirm(target, queue, as))) return undefined;
    // One progress toast for checking and sending: VS Code drops a toast that follows three others
    // within 0.8 s (its spam protection), which had swallowed the receipt after a quick confirmation.
    const submission = await withNotificationProgress(
      {
        title: vscode.l10n.t('Submitting to {0}', queue.evaluation.name),
        cancellable: true,
      },
      async (progress, cancellation) => {
        progress.report({ message: vscode.l10n.t('checking the image…') });
        const checked = await runChecks(services, snapshot, target, cancellation);
        if (!checked || cancellation.isCancellationRequested) return undefined;
        progress.report({ message: vscode.l10n.t('sending…') });
        return send(snapshot, target, queue, as, checked.etag);
      },
    );
    if (!submission) return undefined;
    sink.added(queue.evaluation, submission);
    services.logger.info(
      `Submitted ${target.repository.repositoryName}@${target.digest} to ${queue.evaluation.id} as ${as.kind === 'team' ? `team ${as.teamId}` : 'an individual'}: submission ${submission.id}`,
    );
    const receipt = queue.evaluation.submissionReceiptMessage?.trim();
    const message = receipt
      ? vscode.l10n.t({
          message: 'Submitted to {0}: submission {1}. {2}',
          args: [queue.evaluation.name, submission.id, receipt],
          comment: ["{0}: queue name. {1}: submission id. {2}: the queue's receipt message."],
        })
      : vscode.l10n.t({
          message: 'Submitted to {0}: submission {1}.',
          args: [queue.evaluation.name, submission.id],
          comment: ['{0}: queue name. {1}: submission id.'],
        });
    void notify('info', message, commandStep(vscode.l10n.t('Show Submissions'), SHOW_SUBMISSIONS_COMMAND));
    return submission;
  } catch (error) {
    if (isCancellation(error)) return undefined;
    if (error instanceof NotSignedInError) {
      void notify('error', error.message, commandStep(vscode.l10n.t('Sign In'), 'synapseDocker.signIn'));
      return undefined;
    }
    if (error instanceof SynapseError && error.status !== undefined && error.status < 500 && error.reason) {
      // Synapse's own refusal (not registered, outside the round, limit reached…) says it best.
      services.logger.warn(`Submission refused: ${error.status} ${error.reason}`);
      void notify(
        'error',
        vscode.l10n.t({ message: 'Synapse refused the submission: {0}', args: [error.reason], comment: ['{0}: the reason Synapse gave.'] }),
        commandStep(vscode.l10n.t('Try Again'), SUBMIT_COMMAND, ...(argument !== undefined ? [argument] : [])),
      );
      return undefined;
    }
    showError(services, vscode.l10n.t('Submission failed'), error);
    return undefined;
  }
}

// ---- What is submitted ----

function isTagNode(value: unknown): value is TagNode {
  return (value as TagNode | undefined)?.kind === 'tag';
}

async function resolveTarget(services: Services, snapshot: AccountSnapshot, argument: unknown): Promise<SubmitTarget | undefined> {
  if (isTagNode(argument)) return { repository: argument.parent.repository, tag: argument.commit.tag, digest: argument.commit.digest };
  const given = argument as Partial<SubmitArgument> | undefined;
  if (given && typeof given.repositoryId === 'string' && typeof given.tag === 'string') {
    const entity = await snapshot.client.getEntity(given.repositoryId, snapshot.signal);
    if (!isDockerRepository(entity)) throw new Error(vscode.l10n.t('{0} is not a Docker repository.', given.repositoryId));
    const digest = given.digest ?? (await listedCommit(snapshot, entity.id, given.tag))?.digest;
    if (!digest) throw new Error(vscode.l10n.t('Synapse lists no tag {0} in {1}.', given.tag, entity.repositoryName));
    return { repository: entity, tag: given.tag, digest };
  }
  return pickTarget(services, snapshot);
}

async function listedCommit(snapshot: AccountSnapshot, repositoryId: string, tag: string): Promise<DockerCommit | undefined> {
  for await (const page of snapshot.client.dockerTagPages(repositoryId, 50, {}, snapshot.signal)) {
    const found = page.find((commit) => commit.tag.toLowerCase() === tag.toLowerCase());
    if (found) return found;
  }
  return undefined;
}

/** From the palette: one of the local images named for the registry whose tag Synapse lists, or project → repository → tag. */
async function pickTarget(services: Services, snapshot: AccountSnapshot): Promise<SubmitTarget | undefined> {
  const client = snapshot.client;
  const project = await pickWhileLoading(
    async (signal) => {
      const projects: Array<{ id: string; name: string }> = [];
      for await (const page of client.projectPages({}, signal)) {
        projects.push(...page);
        if (projects.length >= 200) break;
      }
      return projects.map((p) => ({ label: p.name, description: p.id, project: p }));
    },
    { title: vscode.l10n.t('Submit to Challenge: the project of the image'), matchOnDescription: true, signal: snapshot.signal },
  );
  if (!project) return undefined;
  const repository = await pickWhileLoading(
    async (signal) => {
      const repositories: DockerRepository[] = [];
      for await (const page of client.dockerRepositoryPages(project.project.id, { signal }))
        repositories.push(...page.filter((r) => r.isManaged));
      return repositories.map((r) => ({ label: r.repositoryName.replace(/^[^/]+\//, ''), description: r.id, repository: r }));
    },
    {
      title: vscode.l10n.t('Submit to Challenge: the repository'),
      matchOnDescription: true,
      signal: snapshot.signal,
      whenEmpty: () =>
        void notify(
          'info',
          vscode.l10n.t('{0} has no Docker repository on the registry.', project.project.name),
          commandStep(vscode.l10n.t('Push Image…'), 'synapseDocker.pushImage'),
        ),
    },
  );
  if (!repository) return undefined;
  const tag = await pickWhileLoading(
    async (signal) => {
      const commits: DockerCommit[] = [];
      for await (const page of client.dockerTagPages(repository.repository.id, 50, {}, signal)) commits.push(...page);
      return commits.map((c) => ({ label: c.tag, description: c.digest, commit: c }));
    },
    { title: vscode.l10n.t('Submit to Challenge: the tag'), matchOnDescription: true, signal: snapshot.signal },
  );
  if (!tag) return undefined;
  void services;
  return { repository: repository.repository, tag: tag.commit.tag, digest: tag.commit.digest };
}

// ---- The queue ----

async function pickQueue(services: Services, snapshot: AccountSnapshot, target: SubmitTarget): Promise<QueueChoice | undefined> {
  const evaluations = snapshot.client.evaluations;
  const now = Date.now();
  const loadItems = async (signal: AbortSignal) => {
    // Every queue that grants SUBMIT, open or not: a closed one is listed with its end, not left out unexplained.
    const queues = await evaluations.listEvaluations({ accessType: 'SUBMIT' }, signal);
    const choices = await Promise.all(
      queues.map(async (evaluation): Promise<QueueChoice> => {
        const rounds = await evaluations.listRounds(evaluation.id, signal);
        const round = currentRound(rounds, now);
        if (!round) {
          const lastRound = rounds
            .filter((r) => Date.parse(r.roundEnd) <= now)
            .sort((a, b) => Date.parse(b.roundEnd) - Date.parse(a.roundEnd))[0];
          return { evaluation, lastRound, usage: [] };
        }
        const mine = await evaluations.listMySubmissions(evaluation.id, signal);
        return {
          evaluation,
          round,
          usage: limitUsage(
            round,
            mine.map((b) => ({ createdOn: b.submission.createdOn, status: b.submissionStatus.status })),
            now,
          ),
        };
      }),
    );
    // Open rounds first.
    choices.sort((a, b) => Number(!a.round) - Number(!b.round));
    return choices.map((choice) => ({
      label: choice.evaluation.name,
      description: choice.round
        ? `${choice.evaluation.id} · ${roundEndSentence(choice.round.roundEnd)}`
        : `${choice.evaluation.id} · ${choice.lastRound ? closedSentence(choice.lastRound.roundEnd) : vscode.l10n.t('no open round')}`,
      detail: choice.round
        ? choice.usage.length
          ? choice.usage.map(limitSentence).join(' · ')
          : vscode.l10n.t('no submission limit')
        : undefined,
      choice,
    }));
  };
  const picked = await pickWhileLoading(loadItems, {
    title: vscode.l10n.t('Submit {0}:{1} to…', target.repository.repositoryName, target.tag),
    placeHolder: vscode.l10n.t('Evaluation queue'),
    matchOnDescription: true,
    matchOnDetail: true,
    signal: snapshot.signal,
    whenEmpty: () => void notify('info', vscode.l10n.t('No evaluation queue accepts submissions from you.')),
  });
  if (!picked) return undefined;
  const choice = picked.choice;
  if (!choice.round) {
    // Synapse would answer "It is currently outside of the time range allowed for submissions."
    void notify(
      'error',
      choice.lastRound
        ? vscode.l10n.t({
            message: '{0} takes no submissions now: its round ended {1}.',
            args: [choice.evaluation.name, utc(choice.lastRound.roundEnd)],
            comment: ['{0}: queue name. {1}: UTC date and time.'],
          })
        : vscode.l10n.t({
            message: '{0} takes no submissions now: no round is open.',
            args: [choice.evaluation.name],
            comment: ['{0}: queue name.'],
          }),
    );
    return undefined;
  }
  void services;
  return choice;
}

const utc = (iso: string): string => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
const closedSentence = (roundEnd: string): string =>
  vscode.l10n.t({ message: 'closed: the round ended {0}', args: [utc(roundEnd)], comment: ['{0}: a UTC date and time.'] });

// ---- Individual or team ----

async function pickSubmitAs(services: Services, snapshot: AccountSnapshot, queue: QueueChoice): Promise<SubmitAs | undefined> {
  if (!queue.round) return undefined;
  const evaluations = snapshot.client.evaluations;
  type Item = vscode.QuickPickItem & { as: SubmitAs | undefined; refusal?: string };
  const loadItems = async (signal: AbortSignal): Promise<Item[]> => {
    const challenge = queue.evaluation.contentSource
      ? await evaluations.getChallengeForProject(queue.evaluation.contentSource, signal)
      : undefined;
    const teamIds = challenge ? await evaluations.listSubmissionTeams(challenge.id, signal) : [];
    const names = new Map<string, string>();
    const nameOf = async (principalId: string): Promise<string> => {
      if (!names.has(principalId)) names.set(principalId, await evaluations.getUserName(principalId, signal).catch(() => principalId));
      return names.get(principalId)!;
    };
    const teams = await Promise.all(
      teamIds.map(async (teamId) => {
        const [team, eligibility] = await Promise.all([
          evaluations.getTeam(teamId, signal),
          evaluations.getTeamEligibility(queue.evaluation.id, teamId, signal),
        ]);
        const members = await Promise.all(eligibility.membersEligibility.map(async (m) => memberSentence(await nameOf(m.principalId), m)));
        return { team, eligibility, members };
      }),
    );
    const me = (await snapshot.client.getUserProfile(signal)).userName;
    const individualFull = tightestLimit(queue.usage)?.left === 0;
    return [
      {
        label: vscode.l10n.t('Individually, as {0}', me),
        description: individualFull ? vscode.l10n.t('your limit is reached') : queue.usage.map(limitSentence).join(' · '),
        as: { kind: 'individual' },
      },
      ...teams.map(({ team, eligibility, members }): Item => {
        const refusal = teamSentence(eligibility);
        const contributors = eligibility.membersEligibility
          .filter((m) => m.isEligible && !m.hasConflictingSubmission)
          .map((m) => m.principalId);
        return {
          label: vscode.l10n.t('As team {0}', team.name),
          description:
            refusal ?? vscode.l10n.t('{0} of {1} members can contribute', contributors.length, eligibility.membersEligibility.length),
          detail: members.join(' · '),
          as: refusal ? undefined : { kind: 'team', teamId: team.id, teamName: team.name, eligibility, contributors },
          refusal,
        };
      }),
    ];
  };
  const picked = await pickWhileLoading(loadItems, {
    title: vscode.l10n.t('Submit to {0} as…', queue.evaluation.name),
    matchOnDetail: true,
    signal: snapshot.signal,
  });
  if (!picked) return undefined;
  if (!picked.as) {
    void notify('error', picked.refusal ?? vscode.l10n.t('The team cannot submit to this queue now.'));
    return undefined;
  }
  const spent = picked.as.kind === 'individual' ? queue.usage.find((usage) => usage.left === 0) : undefined;
  if (spent) {
    // Counted from your own submissions, so never more than Synapse counts: it would refuse too.
    void notify(
      'error',
      spent.resetsAt !== undefined
        ? vscode.l10n.t({
            message: 'You have used all {0} submissions to {1} allowed {2}; the limit resets {3}.',
            args: [spent.maximumSubmissions, queue.evaluation.name, limitWindow(spent), utc(new Date(spent.resetsAt).toISOString())],
            comment: ['{0}: the limit. {1}: queue name. {2}: "today (UTC)"… {3}: UTC date and time.'],
          })
        : vscode.l10n.t({
            message: 'You have used all {0} submissions to {1} allowed {2}.',
            args: [spent.maximumSubmissions, queue.evaluation.name, limitWindow(spent)],
            comment: ['{0}: the limit. {1}: queue name. {2}: "in this round"…'],
          }),
    );
    return undefined;
  }
  void services;
  return picked.as;
}

// ---- Confirmation ----

async function confirm(target: SubmitTarget, queue: QueueChoice, as: SubmitAs): Promise<boolean> {
  const submit = vscode.l10n.t('Submit');
  const who = as.kind === 'team' ? vscode.l10n.t('as team {0}', as.teamName) : vscode.l10n.t('individually');
  const detail = [
    `${target.repository.repositoryName}@${target.digest}`,
    vscode.l10n.t('Tag {0} now; the queue gets exactly this digest.', target.tag),
    queue.evaluation.submissionInstructionsMessage
      ? vscode.l10n.t('Instructions: {0}', queue.evaluation.submissionInstructionsMessage)
      : undefined,
  ]
    .filter(Boolean)
    .join('\n\n');
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t({
      message: 'Submit {0}:{1} to {2} {3}?',
      args: [target.repository.repositoryName, target.tag, queue.evaluation.name, who],
      comment: ['{0}:{1}: image and tag. {2}: queue name. {3}: "individually" or "as team X".'],
    }),
    { modal: true, detail },
    submit,
  );
  return answer === submit;
}

// ---- The checks before sending ----

/** Facts about the image's platforms: the local image when it is this digest, else the registry through the engine. */
async function imagePlatforms(services: Services, snapshot: AccountSnapshot, target: SubmitTarget): Promise<PushedPlatform[] | undefined> {
  const reference = parseImageReference(`${target.repository.repositoryName}:${target.tag}`, { registry: services.settings().registry });
  if (reference instanceof NameError) return undefined;
  try {
    const connection = await services.docker.connect();
    const local = await connection.docker
      .getImage(`${target.repository.repositoryName}:${target.tag}`)
      .inspect()
      .catch(() => undefined);
    if (
      local &&
      (local.RepoDigests ?? []).includes(`${target.repository.repositoryName}@${target.digest}`) &&
      local.Os &&
      local.Architecture
    ) {
      return [
        {
          os: local.Os,
          architecture: local.Architecture,
          ...((local as { Variant?: string }).Variant ? { variant: (local as { Variant?: string }).Variant } : {}),
        },
      ];
    }
    const pushed = await connection.module.inspectPushedManifest({
      docker: connection.docker,
      endpoint: connection.endpoint,
      reference,
      digest: target.digest,
      auth: snapshot.registryAuth(reference.registry),
      signal: snapshot.signal,
    });
    return pushed.platforms;
  } catch (error) {
    services.logger.warn(
      `Couldn't find the platforms of ${target.repository.repositoryName}@${target.digest}: ${(error as Error).message}`,
    );
    return undefined;
  }
}

async function runChecks(
  services: Services,
  snapshot: AccountSnapshot,
  target: SubmitTarget,
  cancellation: vscode.CancellationToken,
): Promise<{ etag: string } | undefined> {
  const client = snapshot.client;
  const facts = await whileLinked([abortSignalFor(cancellation), snapshot.signal], async (signal) => {
    const before = await client.getEntity(target.repository.id, signal);
    const commits: DockerCommit[] = [];
    for await (const page of client.dockerTagPages(target.repository.id, 50, {}, signal)) commits.push(...page);
    const platforms = await imagePlatforms(services, snapshot, target);
    const now = await client.getEntity(target.repository.id, signal);
    return { commits, platforms, etagChecked: before.etag, etagNow: now.etag };
  });
  const problems = presubmitProblems({
    digest: target.digest,
    repositoryId: target.repository.id,
    commits: facts.commits,
    platforms: facts.platforms,
    tokenScopes: snapshot.account.scopes,
    etagChecked: facts.etagChecked,
    etagNow: facts.etagNow,
  });
  for (const problem of problems)
    services.logger.warn(`Before submitting ${target.repository.repositoryName}@${target.digest}: ${problem.code}`);
  const blocking = problems.find(isBlocking);
  if (blocking) {
    showProblem(services, target, blocking);
    return undefined;
  }
  const warning = problems[0];
  if (warning) {
    const { message, fixLabel } = problemSentence(warning);
    const answer = await vscode.window.showWarningMessage(message, { modal: true }, fixLabel);
    if (answer !== fixLabel) return undefined;
  }
  return { etag: facts.etagNow! };
}

/** One specific message with its fix as the button. */
function showProblem(services: Services, target: SubmitTarget, problem: PresubmitProblem): void {
  const { message, fix, fixLabel } = problemSentence(problem);
  const argument: SubmitArgument = { repositoryId: target.repository.id, tag: target.tag };
  const steps: NextStep[] = [];
  switch (fix) {
    case 'signIn':
      steps.push(commandStep(fixLabel, 'synapseDocker.signIn'));
      break;
    case 'push':
      steps.push(commandStep(fixLabel, 'synapseDocker.pushImage', `${target.repository.repositoryName}:${target.tag}`));
      break;
    case 'rebuildAmd64':
      steps.push(
        commandStep(fixLabel, 'synapseDocker.buildImage', {
          platform: 'linux/amd64',
          reference: `${target.repository.repositoryName}:${target.tag}`,
        }),
      );
      break;
    case 'checkAgain':
      steps.push(commandStep(fixLabel, SUBMIT_COMMAND, argument));
      break;
    case 'submitAnyway':
      break;
  }
  void services;
  void notify('error', message, ...steps);
}

// ---- Sending ----

async function send(snapshot: AccountSnapshot, target: SubmitTarget, queue: QueueChoice, as: SubmitAs, etag: string): Promise<Submission> {
  return snapshot.client.evaluations.submit(
    {
      evaluationId: queue.evaluation.id,
      entityId: target.repository.id,
      dockerDigest: target.digest,
      name: `${target.repository.repositoryName.replace(/^[^/]+\//, '')}:${target.tag}`,
      ...(as.kind === 'team' ? { teamId: as.teamId, contributors: as.contributors } : {}),
    },
    etag,
    as.kind === 'team' ? as.eligibility.eligibilityStateHash : undefined,
    snapshot.signal,
  );
}

/** A submission reached a final status: say so, with the way to the view. */
export function announceFinalSubmission(submission: Submission | undefined, status: SubmissionStatus): void {
  void notify(
    status.status === 'INVALID' ? 'warning' : 'info',
    finalNotification(submission?.name ?? status.id, status, publicScores(status)),
    commandStep(vscode.l10n.t('Show Submissions'), SHOW_SUBMISSIONS_COMMAND),
  );
}
