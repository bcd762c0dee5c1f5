import { imageReference } from '../core/references';
import { copyFromTag } from './copyFromTag';

export const copyImageReferenceCommand = copyFromTag('synapseDocker.copyImageReference', (tag) =>
  imageReference(tag.parent.repository, tag.commit.tag),
);
