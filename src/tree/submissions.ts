// The Submissions view: per evaluation queue, the user's submissions newest first with the status,
// the orchestrator's status description and progress, public scores and, for INVALID, the failure
// reason. It follows pending submissions (core/challenges/poller: only non-final ones, with
// backoff, only while the view is visible, nothing at all once nothing is pending) and says so when
// one reaches a final status.
import * as vscode from 'vscode';
import { CONTEXT_VALUES } from '../commands/ids';
import { SynapseSession } from '../host/session';
import {
  queueNode,
  submissionNode,
  submissionsMessage,
  type QueueNode,
  type SubmissionNode,
  type SubmissionsMessageNode,
  type SubmissionsNode,
} from '../core/challenges/nodes';
import { RefreshReport, SubmissionPoller } from '../core/challenges/poller';
import { canOfferCancel, failureReason, newestFirst, submissionDescription } from '../core/challenges/view';
import type { Evaluation, Submission, SubmissionBundle, SubmissionStatus } from '../core/synapse/evaluations';
import { Logger } from '../core/util/log';

export type { QueueNode, SubmissionNode, SubmissionsMessageNode, SubmissionsNode } from '../core/challenges/nodes';

interface Loaded {
  queues: QueueNode[];
  submissions: Map<string, SubmissionNode[]>;
}

export interface SubmissionsOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A submission reached a final status (the composition root says so to the user). */
  onFinal?: (submission: Submission | undefined, status: SubmissionStatus) => void;
}

export class SubmissionsTreeProvider implements vscode.TreeDataProvider<SubmissionsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SubmissionsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private loaded: Promise<Loaded | SubmissionsMessageNode> | undefined;
  private readonly byId = new Map<string, SubmissionNode>();
  private poller: SubmissionPoller;
  private visible = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly session: SynapseSession,
    private readonly logger: Logger,
    private readonly options: SubmissionsOptions = {},
  ) {
    this.poller = this.newPoller();
    this.subscriptions.push(session.onDidChange(() => this.refresh()));
  }

  /** Follows the view's visibility: polling only while it is seen. */
  attach(view: vscode.TreeView<SubmissionsNode>): void {
    this.visible = view.visible;
    this.subscriptions.push(
      view.onDidChangeVisibility((event) => {
        this.visible = event.visible;
        this.poller.setActive(this.visible && this.session.account !== undefined);
      }),
    );
    this.poller.setActive(this.visible && this.session.account !== undefined);
  }

  private newPoller(): SubmissionPoller {
    return new SubmissionPoller({
      fetchStatus: async (id, signal) => (await this.session.client()).evaluations.getStatus(id, signal),
      onChange: (id, status) => this.statusChanged(id, status),
      onFinal: (id, status) => this.announceFinal(id, status),
      onError: (id, error) => this.logger.warn(`Couldn't refresh submission ${id}: ${(error as Error).message}`),
      baseDelayMs: this.options.baseDelayMs,
      maxDelayMs: this.options.maxDelayMs,
    });
  }

  /** Everything again (the view title's Refresh, a new account). */
  refresh(): void {
    this.loaded = undefined;
    this.byId.clear();
    this.poller.dispose();
    this.poller = this.newPoller();
    this.poller.setActive(this.visible && this.session.account !== undefined);
    this.changed.fire(undefined);
  }

  /** Reads the pending submissions' statuses now (for Refresh and tests); one request each. */
  refreshPending(): Promise<RefreshReport> {
    return this.poller.refreshNow();
  }

  get pending(): string[] {
    return this.poller.pending;
  }

  get polling(): { scheduled: boolean; delayMs: number; active: boolean } {
    return { scheduled: this.poller.scheduled, delayMs: this.poller.currentDelayMs, active: this.visible };
  }

  /** A submission just made (the submit flow): shown at once, and followed. */
  added(evaluation: Evaluation, submission: Submission): void {
    void this.addNow(evaluation, submission).catch((error: unknown) =>
      this.logger.warn(`Couldn't show submission ${submission.id}: ${(error as Error).message}`),
    );
  }

  private async addNow(evaluation: Evaluation, submission: Submission): Promise<void> {
    const loaded = await this.load();
    if (!('queues' in loaded)) {
      this.refresh();
      return;
    }
    if (this.byId.has(submission.id)) return; // the listing that this very call started already has it
    const status = await (await this.session.client()).evaluations.getStatus(submission.id);
    let queue = loaded.queues.find((q) => q.evaluation.id === evaluation.id);
    if (!queue) {
      queue = queueNode(evaluation);
      loaded.queues.push(queue);
      loaded.submissions.set(evaluation.id, []);
    }
    const node = submissionNode(queue, submission, status);
    loaded.submissions.get(evaluation.id)!.unshift(node);
    this.byId.set(submission.id, node);
    this.poller.track(status);
    this.changed.fire(undefined);
  }

  private load(): Promise<Loaded | SubmissionsMessageNode> {
    this.loaded ??= this.loadNow().catch((error: unknown) => {
      this.loaded = undefined;
      return submissionsMessage('error', 'error', vscode.l10n.t("Couldn't list your submissions: {0}", (error as Error).message));
    });
    return this.loaded;
  }

  /** The queues one may submit to (open or not) that hold the user's submissions, and those submissions. */
  private async loadNow(): Promise<Loaded | SubmissionsMessageNode> {
    if (!this.session.account) return submissionsMessage('signedOut', 'info', vscode.l10n.t('Sign in to see your submissions.'));
    const evaluations = (await this.session.client()).evaluations;
    const queues = await evaluations.listEvaluations({ accessType: 'SUBMIT' });
    const listed = await Promise.all(
      queues.map(async (evaluation) => ({ evaluation, bundles: await evaluations.listMySubmissions(evaluation.id) })),
    );
    const loaded: Loaded = { queues: [], submissions: new Map() };
    const statuses: SubmissionStatus[] = [];
    for (const { evaluation, bundles } of listed) {
      if (bundles.length === 0) continue;
      const queue = queueNode(evaluation);
      loaded.queues.push(queue);
      loaded.submissions.set(
        evaluation.id,
        newestFirst(bundles).map((bundle: SubmissionBundle) => {
          const node = submissionNode(queue, bundle.submission, bundle.submissionStatus);
          this.byId.set(bundle.submission.id, node);
          statuses.push(bundle.submissionStatus);
          return node;
        }),
      );
    }
    this.poller.setAll(statuses);
    this.logger.info(`Submissions: ${statuses.length} in ${loaded.queues.length} queues, ${this.poller.pending.length} pending`);
    return loaded;
  }

  private statusChanged(id: string, status: SubmissionStatus): void {
    const node = this.byId.get(id);
    if (!node) return;
    node.status = status;
    this.changed.fire(node);
  }

  private announceFinal(id: string, status: SubmissionStatus): void {
    this.options.onFinal?.(this.byId.get(id)?.submission, status);
  }

  async getChildren(node?: SubmissionsNode): Promise<SubmissionsNode[]> {
    if (node?.kind === 'submission' || node?.kind === 'message') return [];
    const loaded = await this.load();
    if (!('queues' in loaded)) return [loaded];
    if (!node) {
      if (loaded.queues.length === 0)
        return [
          submissionsMessage('none', 'info', vscode.l10n.t('No submissions yet: right-click a tag and choose Submit to Challenge….')),
        ];
      return loaded.queues;
    }
    return loaded.submissions.get(node.evaluation.id) ?? [];
  }

  getParent(node: SubmissionsNode): SubmissionsNode | undefined {
    return node.kind === 'submission' ? node.parent : undefined;
  }

  getTreeItem(node: SubmissionsNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon(node.severity === 'error' ? 'error' : 'info');
      item.contextValue = CONTEXT_VALUES.submissionsMessage(node.severity);
      return item;
    }
    if (node.kind === 'queue') {
      const item = new vscode.TreeItem(node.evaluation.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = node.id;
      item.description = node.evaluation.id;
      item.tooltip = node.evaluation.description ?? node.evaluation.name;
      item.iconPath = new vscode.ThemeIcon('checklist');
      item.contextValue = CONTEXT_VALUES.queue;
      return item;
    }
    const { submission, status } = node;
    // The status first, where a narrow view still shows it; the image after it (and in full in the tooltip).
    const item = new vscode.TreeItem(`#${submission.id}`);
    item.id = node.id;
    item.description = submission.name ? `${submissionDescription(status)} — ${submission.name}` : submissionDescription(status);
    const tooltip = new vscode.MarkdownString(undefined, false);
    tooltip.appendText(`${submission.dockerRepositoryName ?? submission.entityId}@${submission.dockerDigest ?? ''}\n\n`);
    tooltip.appendText(
      vscode.l10n.t('Submitted {0}{1}', submission.createdOn, submission.teamId ? vscode.l10n.t(' as team {0}', submission.teamId) : '') +
        '\n\n',
    );
    tooltip.appendText(submissionDescription(status));
    const reason = failureReason(status);
    if (reason) tooltip.appendText(`\n\n${vscode.l10n.t('Failure reason: {0}', reason)}`);
    item.tooltip = tooltip;
    item.iconPath = new vscode.ThemeIcon(iconFor(status.status));
    item.contextValue = canOfferCancel(status) ? CONTEXT_VALUES.cancellableSubmission : CONTEXT_VALUES.submission;
    return item;
  }

  dispose(): void {
    this.poller.dispose();
    this.changed.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

function iconFor(status: SubmissionStatus['status']): string {
  switch (status) {
    case 'SCORED':
    case 'ACCEPTED':
    case 'VALIDATED':
      return 'pass';
    case 'INVALID':
    case 'REJECTED':
      return 'error';
    case 'CLOSED':
      return 'circle-slash';
    case 'EVALUATION_IN_PROGRESS':
      return 'sync';
    default:
      return 'clock';
  }
}
