import { digestReference } from '../core/references';
import { copyFromTag } from './copyFromTag';

export const copyDigestReferenceCommand = copyFromTag('synapseDocker.copyDigestReference', (tag) =>
  digestReference(tag.parent.repository, tag.commit),
);
