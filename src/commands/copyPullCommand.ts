import { pullCommand } from '../core/references';
import { copyFromTag } from './copyFromTag';

export const copyPullCommandCommand = copyFromTag('synapseDocker.copyPullCommand', (tag) => pullCommand(tag.parent.repository, tag.commit));
