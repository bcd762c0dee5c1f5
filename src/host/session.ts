// The signed-in state: the token in SecretStorage (keyed by endpoint so sandbox and production
// tokens never mix), and the non-secret account facts in globalState so the status bar can show
// the user at startup without a request. It also owns two facts about the account: whether
// Synapse still accepts its token (any 401 from any call through its client says no), and when it
// ends (sign-out, another account or endpoint), which aborts the work started for it. Every
// token it holds is registered with the redactor, so no exit of this bundle can show it.
import * as vscode from 'vscode';
import { AccountEndedError, accountEndReason, reportingClient, TokenVerdict } from '../core/accounts';
import { SynapseClient } from '../core/synapse/client';
import { normalizeEndpoint } from '../core/synapse/endpoint';
import { TokenClaims } from '../core/synapse/pat';
import { verifyToken, VerifiedToken } from '../core/synapse/signIn';
import { Logger } from '../core/util/log';
import { registerSecret } from '../core/util/redact';
import { SynapseSettings } from './settings';
import { CONTEXT_KEYS } from '../commands/ids';

export interface Account {
  userName: string;
  ownerId: string;
  endpoint: string;
  scopes: string[];
}

export class NotSignedInError extends Error {
  constructor() {
    super(vscode.l10n.t('Sign in to Synapse first.'));
    this.name = 'NotSignedInError';
  }
}

const SIGNED_IN_CONTEXT = CONTEXT_KEYS.signedIn;

/**
 * One account as it was when a piece of work started: preflight and the transfer after it use
 * the same snapshot, so one user's check never covers another user's push.
 */
export interface AccountSnapshot {
  readonly account: Account;
  readonly client: SynapseClient;
  /** Aborts, with an AccountEndedError, when this account ends (sign-out, another account or endpoint). */
  readonly signal: AbortSignal;
  /** Credentials for one engine call to `registry` (X-Registry-Auth), with this snapshot's token. */
  registryAuth(registry: string): { username: string; password: string; serveraddress: string };
}

/** The live account: its token's client and the controller of its signal. */
interface Live {
  account: Account;
  token: string;
  client: SynapseClient;
  /** Set by the first 401; a later answer to a call started after it clears it. */
  rejectedAtCall?: number;
}

export class SynapseSession implements vscode.Disposable {
  private current: Account | undefined;
  private live: Live | undefined;
  /** Aborted when the current account ends; kept across a re-sign-in of the same user. */
  private lifetime: AbortController | undefined;
  private readonly changed = new vscode.EventEmitter<Account | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly acceptanceChanged = new vscode.EventEmitter<void>();
  /** Fires when Synapse stops (or starts again) accepting the signed-in account's token. */
  readonly onDidChangeTokenAccepted = this.acceptanceChanged.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly memento: vscode.Memento,
    private readonly settings: () => SynapseSettings,
    private readonly logger: Logger,
  ) {}

  get account(): Account | undefined {
    return this.current;
  }

  /** False once Synapse answered a call with this account's token with 401 (until a new sign-in). */
  get tokenAccepted(): boolean {
    return this.live?.rejectedAtCall === undefined;
  }

  /** The configured endpoint; throws (with what is wrong with the setting) when it is invalid. */
  get endpoint(): string {
    return normalizeEndpoint(this.settings().endpoint);
  }

  /** What is wrong with the endpoint setting, or undefined when it is usable. */
  get endpointProblem(): string | undefined {
    try {
      normalizeEndpoint(this.settings().endpoint);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Restores the account for the configured endpoint from storage; makes no request. An invalid
   * endpoint signs out (the token stays stored under its own endpoint) instead of throwing.
   */
  async restore(): Promise<void> {
    const problem = this.endpointProblem;
    if (problem !== undefined) {
      this.logger.warn(`The synapseDocker.endpoint setting is not usable: ${problem}`);
      await this.setAccount(undefined);
      return;
    }
    const endpoint = this.endpoint;
    const token = await this.secrets.get(secretKey(endpoint));
    const account = this.memento.get<Account>(accountKey(endpoint));
    await this.setAccount(token && account ? { account, token } : undefined);
  }

  async hasStoredToken(): Promise<boolean> {
    if (this.endpointProblem !== undefined) return false;
    return (await this.secrets.get(secretKey(this.endpoint))) !== undefined;
  }

  /** Verifies the token with Synapse, then stores it. Throws SignInError with a user-facing message. */
  async signIn(token: string, signal?: AbortSignal): Promise<VerifiedToken> {
    const endpoint = this.endpoint;
    const verified = await verifyToken(token, { endpoint, logger: this.logger }, signal, this.settings().portalUrl);
    const account: Account = {
      userName: verified.profile.userName,
      ownerId: verified.profile.ownerId,
      endpoint,
      scopes: verified.claims.scopes,
    };
    registerSecret(token);
    await this.secrets.store(secretKey(endpoint), token.trim());
    await this.memento.update(accountKey(endpoint), account);
    await this.setAccount({ account, token: token.trim() });
    this.logger.info(`Signed in to ${endpoint} as ${account.userName} (${account.ownerId}); token scopes: ${account.scopes.join(', ')}`);
    return verified;
  }

  async signOut(): Promise<void> {
    const endpoint = this.endpoint;
    await this.secrets.delete(secretKey(endpoint));
    await this.memento.update(accountKey(endpoint), undefined);
    const previous = this.current;
    await this.setAccount(undefined);
    if (previous) this.logger.info(`Signed out ${previous.userName} from ${endpoint}`);
  }

  /** A client carrying the stored token; throws NotSignedInError when there is none. */
  async client(): Promise<SynapseClient> {
    return this.liveAccount().client;
  }

  /** The account as it is now, for one piece of work; throws NotSignedInError when signed out. */
  async snapshot(): Promise<AccountSnapshot> {
    const live = this.liveAccount();
    const signal = this.lifetime!.signal;
    const { account, token, client } = live;
    return {
      account,
      client,
      signal,
      registryAuth: (registry) => {
        if (signal.aborted) throw signal.reason;
        return { username: account.userName, password: token, serveraddress: registry };
      },
    };
  }

  /** The token claims are not secret, but the token is: callers get scopes, never the token. */
  scopes(): TokenClaims['scopes'] {
    return this.current?.scopes ?? [];
  }

  /**
   * Credentials for the registry, handed to the Docker engine in the X-Registry-Auth header of a
   * single push, pull or login call. They are never written to disk, a command line or an
   * environment.
   */
  async registryAuth(registry: string): Promise<{ username: string; password: string; serveraddress: string }> {
    return (await this.snapshot()).registryAuth(registry);
  }

  private liveAccount(): Live {
    if (!this.live) throw new NotSignedInError();
    return this.live;
  }

  private newLive(account: Account, token: string): Live {
    registerSecret(token);
    const client = new SynapseClient({ endpoint: account.endpoint, token, logger: this.logger });
    const live: Live = { account, token, client };
    live.client = reportingClient(client, (verdict, call) => this.judged(live, verdict, call));
    return live;
  }

  /** The one place that decides whether Synapse accepts the token (reports of old accounts are ignored). */
  private judged(live: Live, verdict: TokenVerdict, call: number): void {
    if (live !== this.live) return;
    const wasAccepted = live.rejectedAtCall === undefined;
    if (verdict === 'rejected') {
      live.rejectedAtCall = Math.max(live.rejectedAtCall ?? 0, call);
    } else if (live.rejectedAtCall !== undefined && call > live.rejectedAtCall) {
      live.rejectedAtCall = undefined;
    }
    const accepted = live.rejectedAtCall === undefined;
    if (accepted === wasAccepted) return;
    if (!accepted) this.logger.warn(`Synapse no longer accepts the token of ${live.account.userName} at ${live.account.endpoint} (401)`);
    else this.logger.info(`Synapse accepts the token of ${live.account.userName} again`);
    this.acceptanceChanged.fire();
  }

  dispose(): void {
    this.lifetime?.abort(new AccountEndedError('signed-out', this.current?.userName ?? ''));
    this.changed.dispose();
    this.acceptanceChanged.dispose();
  }

  /** The token comes with the account, so a client never pairs one user's name with another's token. */
  private async setAccount(signedIn: { account: Account; token: string } | undefined): Promise<void> {
    const account = signedIn?.account;
    const previous = this.current;
    const ended = accountEndReason(previous, account);
    if (ended && previous) {
      this.lifetime?.abort(new AccountEndedError(ended, previous.userName));
      this.lifetime = undefined;
      this.logger.info(`Stopping the pushes, pulls and checks started for ${previous.userName} (${ended})`);
    }
    if (account) this.lifetime ??= new AbortController();
    const wasAccepted = this.tokenAccepted;
    this.current = account;
    if (!signedIn) this.live = undefined;
    // The same token again (a settings change re-read the storage): the same client, and what Synapse said of it.
    else if (!this.live || ended || this.live.token !== signedIn.token) this.live = this.newLive(signedIn.account, signedIn.token);
    else this.live.account = signedIn.account;
    if (wasAccepted !== this.tokenAccepted) this.acceptanceChanged.fire();
    await vscode.commands.executeCommand('setContext', SIGNED_IN_CONTEXT, account !== undefined);
    this.changed.fire(account);
  }
}

function secretKey(endpoint: string): string {
  return `synapseDocker.token:${endpoint}`;
}

function accountKey(endpoint: string): string {
  return `synapseDocker.account:${endpoint}`;
}
