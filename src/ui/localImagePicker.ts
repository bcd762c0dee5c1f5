// Picks a local image: those already named for the Synapse registry first, then the rest.
import * as vscode from 'vscode';
import { commandStep, notify } from './notify';
import type { LocalImage } from '../core/docker';
import { formatBytes } from '../core/util/bytes';
import { relativeTime } from '../core/util/time';
import { DockerConnection } from '../host/dockerAccess';

export interface LocalImageChoice {
  image: LocalImage;
  /** The reference picked (one of the image's tags), or the image id for an untagged image. */
  reference: string;
  /** Whether the reference is already named for the registry. */
  forRegistry: boolean;
}

interface ImageItem extends vscode.QuickPickItem {
  choice?: LocalImageChoice;
}

export async function pickLocalImage(connection: DockerConnection, registry: string, title: string): Promise<LocalImageChoice | undefined> {
  const images = await connection.module.listLocalImages(connection.docker, { includeUntagged: false });
  if (images.length === 0) {
    void notify(
      'info',
      vscode.l10n.t('There are no tagged local images. Build one from a Dockerfile first.'),
      commandStep(vscode.l10n.t('Build Image…'), 'synapseDocker.buildImage'),
    );
    return undefined;
  }
  const prefix = `${registry}/`;
  const itemFor = (image: LocalImage, reference: string): ImageItem => ({
    label: reference,
    description: `${formatBytes(image.size)} · ${relativeTime(image.created)}`,
    detail: image.id.replace(/^sha256:/, '').slice(0, 12),
    choice: { image, reference, forRegistry: reference.startsWith(prefix) },
  });
  const all = images.flatMap((image) => image.repoTags.map((tag) => itemFor(image, tag)));
  const named = all.filter((item) => item.choice!.forRegistry);
  const others = all.filter((item) => !item.choice!.forRegistry);
  const items: ImageItem[] = [
    ...(named.length ? [{ label: vscode.l10n.t('Named for {0}', registry), kind: vscode.QuickPickItemKind.Separator }] : []),
    ...named,
    ...(others.length
      ? [{ label: vscode.l10n.t('Other local images (tagged for Synapse first)'), kind: vscode.QuickPickItemKind.Separator }]
      : []),
    ...others,
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: vscode.l10n.t('Local image'),
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.choice;
}
