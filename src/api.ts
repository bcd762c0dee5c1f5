// What activate() returns: enough for tests and other extensions to see the signed-in state,
// never the token itself.
export interface SynapseDockerApi {
  currentUser(): { userName: string; ownerId: string } | undefined;
  hasStoredToken(): Promise<boolean>;
}
