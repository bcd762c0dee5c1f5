// Which registry images are present locally, by repository@digest, so tag nodes can show it.
// Filled on the first Docker use and after every build, push and pull; never at activation.
import * as vscode from 'vscode';
import { DockerConnection } from './dockerAccess';

export class LocalImageIndex {
  private digests = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  has(repositoryName: string, digest: string): boolean {
    return this.digests.has(`${repositoryName}@${digest}`);
  }

  async refresh(connection: DockerConnection, registry: string): Promise<void> {
    const images = await connection.module.listLocalImages(connection.docker, { registry });
    this.digests = new Set(images.flatMap((image) => image.repoDigests));
    this.changed.fire();
  }
}
