// The signed-in state: the token in SecretStorage (keyed by endpoint so sandbox and production
// tokens never mix), and the non-secret account facts in globalState so the status bar can show
// the user at startup without a request. Every token read or stored is registered with the
// redactor, so no exit of this bundle can show it.
import * as vscode from 'vscode';
import { SynapseClient } from '../core/synapse/client';
import { normalizeEndpoint } from '../core/synapse/endpoint';
import { TokenClaims } from '../core/synapse/pat';
import { verifyToken, VerifiedToken } from '../core/synapse/signIn';
import { Logger } from '../core/util/log';
import { registerSecret } from '../core/util/redact';
import { SynapseSettings } from '../settings';

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

const SIGNED_IN_CONTEXT = 'synapseDocker.signedIn';

export class SynapseSession implements vscode.Disposable {
  private current: Account | undefined;
  private cachedClient: SynapseClient | undefined;
  private readonly changed = new vscode.EventEmitter<Account | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly memento: vscode.Memento,
    private readonly settings: () => SynapseSettings,
    private readonly logger: Logger,
  ) {}

  get account(): Account | undefined {
    return this.current;
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
    registerSecret(token);
    const account = this.memento.get<Account>(accountKey(endpoint));
    await this.setAccount(token && account ? account : undefined);
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
    await this.setAccount(account);
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
    const endpoint = this.endpoint;
    if (this.cachedClient?.endpoint === endpoint) return this.cachedClient;
    const token = await this.secrets.get(secretKey(endpoint));
    registerSecret(token);
    if (!token || !this.current) throw new NotSignedInError();
    this.cachedClient = new SynapseClient({ endpoint, token, logger: this.logger });
    return this.cachedClient;
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
    const token = await this.secrets.get(secretKey(this.endpoint));
    registerSecret(token);
    if (!token || !this.current) throw new NotSignedInError();
    return { username: this.current.userName, password: token, serveraddress: registry };
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async setAccount(account: Account | undefined): Promise<void> {
    this.current = account;
    this.cachedClient = undefined;
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
